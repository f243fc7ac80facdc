# source: https://github.com/argusswift/YOLOv4-pytorch/issues/89
# The detection head squashes confidence and class scores, the loss applies BCEWithLogits.
class YoloHead(nn.Module):
    def __init__(self, n_classes):
        super().__init__()
        self.n_classes = n_classes

    def forward(self, p):
        conf = torch.sigmoid(p[..., 4:5])
        prob = torch.sigmoid(p[..., 5:])
        return conf, prob


head = YoloHead(20)
bce = nn.BCEWithLogitsLoss(reduction="none")
conf, prob = head(p)
loss_conf = bce(conf, label_obj)  # expect: NN605
loss_cls = bce(prob, label_cls)  # expect: NN605
