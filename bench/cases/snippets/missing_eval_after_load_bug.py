# source: https://github.com/OpenTrafficCam/OTVision/issues/132
# Inference right after loading the weights: dropout and batch norm still in training mode.
model = Detector(num_classes=80)
model.load_state_dict(torch.load("detector.pt", weights_only=True))
with torch.no_grad():
    for frame in frames:
        boxes = model(frame.unsqueeze(0))  # known-miss: NN305
