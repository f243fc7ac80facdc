# source: https://github.com/facebookresearch/LASER/issues/283
# An encoder loading its released model file.
class Encoder:
    def __init__(self, model_path, max_sentences=None):
        state = torch.load(model_path)  # expect: NN502
        self.params = state["params"]
        self.max_sentences = max_sentences
