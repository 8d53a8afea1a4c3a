"""Classifying sequences of different lengths with an LSTM, batched as the PyTorch tutorials do:
pad_sequence, pack_padded_sequence(enforce_sorted=False) into the LSTM, its final hidden state
into a linear layer, gradient clipping; then the padded outputs back with pad_packed_sequence."""
import npgrad as torch
import npgrad.nn as nn
from npgrad.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence

torch.manual_seed(0)


def make_batch(batch_size=32):
    """Sequences of 3 to 14 numbers; the label says whether they add up to more than 0."""
    lengths = torch.randint(3, 15, (batch_size,))
    sequences = [torch.randn(int(n), 1) for n in lengths]
    labels = torch.tensor([int(s.sum() > 0) for s in sequences])
    return pad_sequence(sequences, batch_first=True), lengths, labels


class Classifier(nn.Module):
    def __init__(self, hidden_size=16):
        super().__init__()
        self.lstm = nn.LSTM(1, hidden_size, batch_first=True)
        self.fc = nn.Linear(hidden_size, 2)

    def forward(self, padded, lengths):
        packed = pack_padded_sequence(padded, lengths, batch_first=True, enforce_sorted=False)
        _, (h_n, _) = self.lstm(packed)  # h_n: each sequence's state after its own last step
        return self.fc(h_n[-1])


model = Classifier()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
criterion = nn.CrossEntropyLoss()
for step in range(201):
    padded, lengths, labels = make_batch()
    loss = criterion(model(padded, lengths), labels)
    optimizer.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    if step % 50 == 0:
        print(f"step {step} loss {loss.item():.4f}")

with torch.no_grad():
    padded, lengths, labels = make_batch(500)
    accuracy = (model(padded, lengths).argmax(1) == labels).float().mean().item()
    packed = pack_padded_sequence(padded, lengths, batch_first=True, enforce_sorted=False)
    output, output_lengths = pad_packed_sequence(model.lstm(packed)[0], batch_first=True)
print(f"accuracy {accuracy:.3f}; outputs {tuple(output.shape)}, lengths equal: {bool((output_lengths == lengths).all())}")
