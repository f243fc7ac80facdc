# source: https://github.com/lucasjinreal/pytorch_chatbot/issues/4
# An attention decoder's output layer.
class AttnDecoder(nn.Module):
    def __init__(self, hidden_size, output_size, max_length):
        super().__init__()
        self.attn = nn.Linear(hidden_size * 2, max_length)
        self.gru = nn.GRU(hidden_size, hidden_size)
        self.out = nn.Linear(hidden_size, output_size)

    def forward(self, embedded, hidden, encoder_outputs):
        attn_weights = F.softmax(self.attn(torch.cat((embedded[0], hidden[0]), 1)), dim=1)
        context = torch.bmm(attn_weights.unsqueeze(0), encoder_outputs.unsqueeze(0))
        output, hidden = self.gru(context, hidden)
        return F.log_softmax(self.out(output[0])), hidden  # expect: NN406
