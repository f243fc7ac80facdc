# source: https://github.com/idiap/fullgrad-saliency/issues/10
# Layer gradients collected with the old module backward hook.
class FullGradExtractor:
    def __init__(self, model):
        self.model = model
        self.feature_grads = []
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.BatchNorm2d)):
                m.register_backward_hook(self._extract_layer_grads)  # expect: NN401

    def _extract_layer_grads(self, module, in_grad, out_grad):
        self.feature_grads.append(out_grad[0])
