"""The Speech2Video network in torch: a unidirectional two-layer LSTM (cell 300) and a linear
read-out from each step's hidden state to a pose vector.

Deviations from the paper: the pose vector is the project's 6-D rotation layout (see
``neural.layout``) with 100 expression coefficients instead of SMPL-X axis-angle parameters, and
the 28-D MFCC input is the project's own (13 MFCC + log energy and their deltas) rather than the
paper's exact front-end. Input and output normalisation live inside the network (buffers), so
the exported ONNX graph takes raw features and returns raw pose vectors.
"""

import torch
from torch import nn


class Speech2Video(nn.Module):
    """features (B, T, F) + LSTM state -> pose vectors (B, T, D) + the new state.

    h0, c0 : (layers, B, hidden); pass zeros to start, the returned state to continue a stream.
    """

    def __init__(self, input_mean, input_std, pose_mean, pose_std, hidden=300, layers=2,
                 dropout=0.0):
        super().__init__()
        self.register_buffer("input_mean", input_mean.clone())
        self.register_buffer("input_std", input_std.clone())
        self.register_buffer("pose_mean", pose_mean.clone())
        self.register_buffer("pose_std", pose_std.clone())
        self.hidden, self.layers = hidden, layers
        self.lstm = nn.LSTM(len(input_mean), hidden, layers, batch_first=True,
                            dropout=dropout if layers > 1 else 0.0)
        self.head = nn.Linear(hidden, len(pose_mean))
        with torch.no_grad():  # start at the mean pose
            self.head.weight.mul_(0.1)
            self.head.bias.zero_()

    def zero_state(self, batch):
        shape = (self.layers, batch, self.hidden)
        return torch.zeros(shape), torch.zeros(shape)

    def forward(self, features, h0, c0):
        x = (features - self.input_mean) / self.input_std
        y, (h, c) = self.lstm(x, (h0, c0))
        return self.pose_mean + self.pose_std * self.head(y), h, c
