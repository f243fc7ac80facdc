# source: https://github.com/gentaiscool/end2end-asr-pytorch/issues/29
# The evaluation loop under torch.no_grad(), as the linked fix does.
import torch


class Trainer:
    def evaluate(self, model, valid_loader):
        model.eval()
        total_loss, total_cer = 0.0, 0.0
        with torch.no_grad():
            for src, tgt, src_lens, tgt_lens in valid_loader:
                pred, gold, hyp = model(src, src_lens, tgt, verbose=False)
                loss = torch.nn.functional.cross_entropy(pred.view(-1, pred.size(-1)), gold.view(-1), ignore_index=0)
                total_loss += loss.item()
        return total_loss / len(valid_loader)
