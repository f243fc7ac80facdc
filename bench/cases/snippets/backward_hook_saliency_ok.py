# source: https://github.com/jacobgil/pytorch-grad-cam/pull/70
# register_full_backward_hook: the documented gradients.
class FullGradExtractor:
    def __init__(self, model):
        self.model = model
        self.feature_grads = []
        self.handles = []
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.BatchNorm2d)):
                self.handles.append(m.register_full_backward_hook(self._extract_layer_grads))

    def _extract_layer_grads(self, module, in_grad, out_grad):
        self.feature_grads.append(out_grad[0])
