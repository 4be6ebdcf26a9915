"""ONNX export of the fused model (front end included) and the files that travel with it."""
