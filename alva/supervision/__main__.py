"""`python -m alva.supervision`: el supervisor (normalmente lo lanza `alva servicios arrancar`)."""

from alva.supervision.supervisor import main

main()
