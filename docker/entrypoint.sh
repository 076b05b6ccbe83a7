#!/bin/sh
# Container entrypoint for the Huiguan image.
#
#   web     apply migrations, then run gunicorn (extra args are passed to gunicorn)
#   worker  run a Celery worker              (extra args are passed to celery)
#   beat    run the Celery beat scheduler    (extra args are passed to celery)
#   *       exec the given command as-is (e.g. "python manage.py shell")
set -eu

run_gunicorn() {
    exec gunicorn backend.wsgi:application \
        --bind 0.0.0.0:8000 \
        --workers "${GUNICORN_WORKERS:-3}" \
        --worker-tmp-dir /dev/shm \
        --access-logfile - \
        --error-logfile - \
        "$@"
}

case "${1:-}" in
    web)
        shift
        python manage.py migrate --noinput
        run_gunicorn "$@"
        ;;
    worker)
        shift
        exec celery -A backend worker -l info "$@"
        ;;
    list-worker)
        shift
        # List mail only (queue "lists"): several chunks at once, each over its own SMTP connection.
        exec celery -A backend worker -l info -Q lists --pool=threads \
            --concurrency="${LIST_WORKER_THREADS:-8}" "$@"
        ;;
    beat)
        shift
        # The code tree is read-only for the app user: keep the schedule file in the var dir.
        exec celery -A backend beat -l info \
            --schedule "${HUIGUAN_VAR_DIR:-/app/var}/celerybeat-schedule" "$@"
        ;;
    *)
        exec "$@"
        ;;
esac
