"""kittygrad.viz: the CompGraph picture of the computational graph."""
