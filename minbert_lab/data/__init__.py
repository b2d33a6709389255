"""Data: download/copy and verify the CS224N CSVs, clean them, tokenize once, batch."""
