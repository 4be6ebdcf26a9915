"""Training: the loop, optimisation and batched data augmentation."""
