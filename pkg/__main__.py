"""``python -m promoready``: the same command line as the ``promoready`` script."""

from promoready._entry import main

if __name__ == "__main__":
    main(prog_name="promoready")
