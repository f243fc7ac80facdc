# source: https://github.com/Coderx7/SimpleNet/issues/2
# training=True hard-coded: a trained network answers differently on every eval run.
class SimpleNet(nn.Module):
    def __init__(self, features, n_classes):
        super().__init__()
        self.features = features
        self.classifier = nn.Linear(256, n_classes)

    def forward(self, x):
        out = self.features(x)
        out = F.max_pool2d(out, kernel_size=out.size()[2:])
        out = F.dropout2d(out, 0.1, training=True)  # expect: NN303
        return self.classifier(out.view(out.size(0), -1))
