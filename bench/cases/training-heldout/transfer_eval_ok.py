# source: https://pgg1610.github.io/data_blog/posts/2020-10-19-pytorch_transfer_learning_basics.html
# The helper switches to eval mode and restores the mode it found, as the tutorial does.
import torch
import torch.nn as nn
import torchvision


def visualize_model(model, dataloader, class_names, num_images=6):
    was_training = model.training
    model.eval()
    shown = 0
    with torch.no_grad():
        for inputs, labels in dataloader:
            outputs = model(inputs)
            preds = outputs.argmax(dim=1)
            for j in range(inputs.size(0)):
                print(class_names[preds[j]])
                shown += 1
                if shown == num_images:
                    model.train(mode=was_training)
                    return
    model.train(mode=was_training)


def main(dataloaders, class_names, epochs=25):
    model_ft = torchvision.models.resnet18(weights=torchvision.models.ResNet18_Weights.DEFAULT)
    model_ft.fc = nn.Linear(model_ft.fc.in_features, len(class_names))
    criterion = nn.CrossEntropyLoss()
    optimizer_ft = torch.optim.SGD(model_ft.parameters(), lr=0.001, momentum=0.9)
    for epoch in range(epochs):
        model_ft.train()
        for inputs, labels in dataloaders["train"]:
            optimizer_ft.zero_grad()
            loss = criterion(model_ft(inputs), labels)
            loss.backward()
            optimizer_ft.step()
    visualize_model(model_ft, dataloaders["val"], class_names)
