"""The web platform behind `synthera serve`: a FastAPI app, its database and job workers.

Nothing here holds logic of its own: routes and workers call the same library functions as
the CLI (`read_table`, `Schema.infer`, `get_synthesizer`, `evaluate`, ...). Map:

    config.py      settings from arguments and SYNTHERA_* environment variables
    tables.py      the SQLAlchemy tables; database.py the engine and migrations/ (Alembic)
    security.py    password hashing, tokens, CSRF values
    access.py      who may see and change what: owners, shared projects, 404 for the rest
    ratelimit.py   sign-in failures counted in the database, across server processes
    storage.py     files under the data directory, by generated names
    uploads.py     turning an uploaded file into a stored dataset (the CLI's checks)
    api/           the REST routes under /api/v1, one module per resource
    jobs/          the job store, the JobBackend interface, worker processes, tasks
    app.py         assembles the FastAPI app; main.py runs it with uvicorn
"""
