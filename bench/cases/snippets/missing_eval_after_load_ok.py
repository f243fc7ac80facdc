# source: https://github.com/OpenTrafficCam/OTVision/issues/132
# The model set to evaluation mode before inference.
model = Detector(num_classes=80)
model.load_state_dict(torch.load("detector.pt", weights_only=True))
model.eval()
with torch.no_grad():
    for frame in frames:
        boxes = model(frame.unsqueeze(0))
