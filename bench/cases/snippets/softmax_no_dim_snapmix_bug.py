# source: https://github.com/Shaoli-Huang/SnapMix/issues/5
# Class activation weights normalised with an implicit softmax dimension.
def snapmix_weights(model, images, labels):
    features, logits = model(images)
    probs = F.softmax(logits)  # expect: NN406
    cam = torch.einsum("bchw,bc->bhw", features, model.fc.weight[labels])
    return cam, probs.gather(1, labels[:, None])
