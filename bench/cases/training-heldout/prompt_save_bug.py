# source: https://github.com/thunlp/OpenPrompt/issues/107
# A k-fold loop that saves each fold's prompt model object.
import torch


def run_folds(make_model, folds, train_fn, out_dir):
    for fold_i, (train_set, dev_set) in enumerate(folds):
        prompt_model = make_model()
        train_fn(prompt_model, train_set)
        prompt_model.eval()
        torch.save(prompt_model, f"{out_dir}/fold{fold_i}.pth")  # expect: NN505
