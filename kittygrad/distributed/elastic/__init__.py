"""``torch.distributed.elastic``, as far as training scripts import it: the ``@record`` decorator
of ``elastic.multiprocessing.errors``. Rendezvous and restarts are the launcher's business
(``python -m kittygrad.distributed.run``, over MPI); there is no elastic agent here."""
