"""Training: multitask batch orderings, task batch streams, the loop and its parts."""
