"""Background jobs: training, sampling and evaluation run in worker processes.

store.py     the job rows: create, claim, progress, finish, cancel, retry (any process)
backend.py   the JobBackend interface the app talks to
local.py     LocalProcessBackend: one worker process per job on this machine
worker.py    the worker process entry point (`python -m synthera.server.jobs.worker ID`)
tasks.py     what each kind of job does: thin calls into the library
"""
