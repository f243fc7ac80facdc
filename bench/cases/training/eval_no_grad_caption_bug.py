# source: https://github.com/sgrvinod/a-PyTorch-Tutorial-to-Image-Captioning/issues/57
# validate() of an encoder-decoder: eval mode, but no no_grad.
import torch


def validate(val_loader, encoder, decoder, criterion):
    decoder.eval()
    encoder.eval()
    losses = []
    for imgs, caps, caplens in val_loader:
        imgs = encoder(imgs)  # expect: NN206
        scores, caps_sorted, decode_lengths, alphas, sort_ind = decoder(imgs, caps, caplens)
        targets = caps_sorted[:, 1:]
        scores_copy = scores.clone()
        loss = criterion(scores.view(-1, scores.size(-1)), targets.reshape(-1))
        losses.append(loss.item())
    return sum(losses) / len(losses)
