"""Fine-tuning the span reader (`qa.reader.model.ReaderNet`) on SQuAD v1.1 *train*.

    python -m qa.training --data ../shared/squad/train-v1.1.json.gz --minutes 85

Never trained on the dev set: that is the evaluation set, and the data loader
refuses it. Training is an offline job that writes `qa/reader/weights/`; nothing
on the query path (`qa ask`, the TUI) imports this package, so it may import
torch freely in its modules (not here).
"""
