# source: https://github.com/cybertronai/autograd-hacks/issues/10
# Per-example gradients: hooks added to every supported layer.
_supported_layers = ["Linear", "Conv2d"]


def add_hooks(model):
    handles = []
    for layer in model.modules():
        if type(layer).__name__ in _supported_layers:
            handles.append(layer.register_forward_hook(_capture_activations))
            handles.append(layer.register_backward_hook(_capture_backprops))  # expect: NN401
    model.__dict__.setdefault("autograd_hacks_hooks", []).extend(handles)
