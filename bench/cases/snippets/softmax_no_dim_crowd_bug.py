# source: https://github.com/svishwa/crowdcount-cascaded-mtl/issues/22
# Density-class probabilities in a crowd-counting forward.
class CMTL(nn.Module):
    def __init__(self, n_classes=10):
        super().__init__()
        self.cls = nn.Linear(512, n_classes)

    def forward(self, feats):
        density_cls_score = self.cls(feats)
        density_cls_prob = F.softmax(density_cls_score)  # expect: NN406
        return density_cls_score, density_cls_prob
