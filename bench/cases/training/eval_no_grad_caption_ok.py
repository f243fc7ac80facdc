# source: https://github.com/sgrvinod/a-PyTorch-Tutorial-to-Image-Captioning/issues/57
# The maintainer's fix: the whole validation under torch.no_grad().
import torch


def validate(val_loader, encoder, decoder, criterion):
    decoder.eval()
    encoder.eval()
    losses = []
    with torch.no_grad():
        for imgs, caps, caplens in val_loader:
            imgs = encoder(imgs)
            scores, caps_sorted, decode_lengths, alphas, sort_ind = decoder(imgs, caps, caplens)
            targets = caps_sorted[:, 1:]
            loss = criterion(scores.view(-1, scores.size(-1)), targets.reshape(-1))
            losses.append(loss.item())
    return sum(losses) / len(losses)
