# source: https://github.com/ray-project/ray/pull/40940
# Fine-tuning loop summing `outputs.loss` tensors for the log line.
import torch


def training_function(model, train_dataloader, optimizer, lr_scheduler, log_every=10):
    model.train()
    loss_sum = 0.0
    for step, batch in enumerate(train_dataloader):
        outputs = model(**batch)
        loss = outputs.loss
        loss.backward()
        optimizer.step()
        lr_scheduler.step()
        optimizer.zero_grad()
        loss_sum += loss  # expect: NN204
        if (step + 1) % log_every == 0:
            print(f"step {step}: avg loss {loss_sum / (step + 1)}")
