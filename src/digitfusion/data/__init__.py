"""Readers for MNIST (IDX) and spoken-digit corpora (FSDD, AudioMNIST layout), splits and pairs."""
