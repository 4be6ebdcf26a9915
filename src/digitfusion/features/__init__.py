"""Features: log-mel spectrograms for audio (torch, cached), MNIST-style images."""
