# source: https://github.com/bowang-lab/Transformer-GCN-QA/pull/32
# Candidate scores squashed by a softmax layer at the output, then cross-entropy.
class CandidateScorer(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.score = nn.Sequential(nn.Linear(dim, 1), nn.Flatten(0), nn.Softmax(dim=0))

    def forward(self, nodes):
        return self.score(nodes)


scorer = CandidateScorer(768)
loss = F.cross_entropy(scorer(nodes).unsqueeze(0), answer)  # expect: NN602
