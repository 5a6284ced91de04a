"""Accrete's own generator: an autoregressive torch model over tokenised columns.

- ``backend``: ``AutoregressiveBackend``, the GeneratorBackend (fit, sample, save, load).
- ``settings``: the settings' defaults and their validation.
- ``encoders``: each column as one integer token per row, and back.
- ``network``: the torch network, p(row) as a product of per-column conditionals.
- ``trainer``: the training loop (early stopping, time budget, checkpoints, DDP).
- ``sampler``: drawing tokens column by column in chunks of rows, and decoding them.
- ``device``: the torch device a setting names, and torch's CPU threads.
- ``process_group``: rank, world size and DDP inside a torch.distributed process group.
- ``torchrun_launcher``: a distributed fit, run by ``torchrun`` in a job folder.
- ``torchrun_job``: that job folder's files.
- ``torchrun_worker``: the module each torchrun process runs.
"""
