"""Columns for the chain's uint256 values (amounts, references, gas prices), exact everywhere.

PostgreSQL stores them as ``numeric(78, 0)``. SQLite, the embedded default, has no exact type
that wide: a ``decimal`` column keeps an integer up to 2**63 - 1 and turns anything larger into
a float, and Django reads decimals back through a float (15 significant digits). There they are
text of a fixed 78 digits, zero-padded, so that equality, ordering, ranges, MIN and MAX work as
text comparisons and give what the numbers would. Arithmetic on them goes through functions
registered on every SQLite connection (``uint256_add``, ``uint256_neg``, the aggregate and window
function ``uint256_sum``), which compute with Python's ints; the expressions below and the raw
SQL that does sums name them on SQLite and keep PostgreSQL's own operators there.
"""

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core import validators
from django.core.exceptions import ValidationError
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Func, Sum
from django.db.models.expressions import Combinable

from .contracts import MAX_UINT256

# Digits of the widest uint256 (and of the column on SQLite).
WIDTH = 78


def sqlite_text(value: int) -> str:
    """A number as SQLite stores it in a uint256 column (or as a signed intermediate value)."""
    return format(value, f"0{WIDTH}d")


def _number(value: Any) -> int | None:
    """A stored value or a function's argument as an int. Text is what the column holds; an
    int or a float is what a column written before it was text may still hold."""
    if value is None:
        return None
    if isinstance(value, int):
        return value
    try:
        return int(value)
    except ValueError:
        return int(Decimal(value))


def _add(left: Any, right: Any) -> str | None:
    a, b = _number(left), _number(right)
    return None if a is None or b is None else sqlite_text(a + b)


def _neg(value: Any) -> str | None:
    number = _number(value)
    return None if number is None else sqlite_text(-number)


def _text(value: Any) -> str | None:
    number = _number(value)
    return None if number is None else sqlite_text(number)


class _Sum:
    """SUM of uint256 values (or signed ones from ``uint256_neg``); NULL over no rows, as SQL's
    SUM. Registered as a window function, which SQLite also lets run as a plain aggregate."""

    def __init__(self) -> None:
        self.total: int | None = None

    def step(self, value: Any) -> None:
        number = _number(value)
        if number is not None:
            self.total = (self.total or 0) + number

    def inverse(self, value: Any) -> None:
        number = _number(value)
        if number is not None:
            self.total = (self.total or 0) - number

    def value(self) -> str | None:
        return None if self.total is None else sqlite_text(self.total)

    def finalize(self) -> str | None:
        return self.value()


def sqlite_functions_install(*, connection: BaseDatabaseWrapper, **_kwargs: Any) -> None:
    """Register the uint256 functions on a new SQLite connection (the ``connection_created``
    signal); other databases need none."""
    if connection.vendor != "sqlite":
        return
    raw = connection.connection
    raw.create_function("uint256_add", 2, _add, deterministic=True)
    raw.create_function("uint256_neg", 1, _neg, deterministic=True)
    raw.create_function("uint256_text", 1, _text, deterministic=True)
    raw.create_window_function("uint256_sum", 1, _Sum)


class Uint256Field(models.DecimalField):
    """A uint256 (0 to 2**256 - 1) as an int, given back exactly as written on every database.

    A DecimalField of 78 digits to forms and serializers (the API shows it as before), with its
    own storage on SQLite (see the module's docstring).
    """

    _pyi_private_set_type: int | str | Decimal | Combinable
    _pyi_private_get_type: int  # type: ignore[assignment]
    _pyi_lookup_exact_type: int | str | Decimal

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["max_digits"], kwargs["decimal_places"] = WIDTH, 0
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        del kwargs["max_digits"], kwargs["decimal_places"]
        return name, path, args, kwargs

    def get_internal_type(self) -> str:
        # Not "DecimalField": SQLite's backend would read it back through a float.
        return "Uint256Field"

    def db_type(self, connection: BaseDatabaseWrapper) -> str:
        if connection.vendor == "postgresql":
            return f"numeric({WIDTH}, 0)"
        # varchar: text affinity on SQLite, so the padded digits stay as they are.
        return f"varchar({WIDTH})"

    @property
    def validators(self) -> list[Any]:
        return [
            *self._validators,  # type: ignore[attr-defined]
            validators.MinValueValidator(0),
            validators.MaxValueValidator(MAX_UINT256),
        ]

    def to_python(self, value: Any) -> int | None:
        if value is None or isinstance(value, int):
            return value
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise ValidationError(
                self.error_messages["invalid"], code="invalid", params={"value": value}
            ) from None
        if not number.is_finite() or number != number.to_integral_value():
            raise ValidationError(
                self.error_messages["invalid"], code="invalid", params={"value": value}
            )
        return int(number)

    def get_db_prep_value(
        self, value: Any, connection: BaseDatabaseWrapper, prepared: bool = False
    ) -> Any:
        if not prepared:
            value = self.get_prep_value(value)
        if value is None or hasattr(value, "as_sql"):
            return value
        if connection.vendor == "sqlite":
            return sqlite_text(value)
        return Decimal(value)

    def from_db_value(
        self, value: Any, expression: Any, connection: BaseDatabaseWrapper
    ) -> int | None:
        if isinstance(value, float):
            # SQLite's own arithmetic (SUM, +) on the text: exact only by chance, so refused.
            raise TypeError(
                "a uint256 value computed by SQLite's own arithmetic; use Uint256Sum, "
                "Uint256Add or the uint256_* functions"
            )
        return _number(value)


class Uint256Sum(Sum):
    """SUM of a uint256 column, exact on SQLite too."""

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return super().as_sql(compiler, connection, function="uint256_sum", **extra_context)


class Uint256Add(Func):
    """The sum of two uint256 expressions (one of them may be a negative delta)."""

    arg_joiner = " + "
    template = "(%(expressions)s)"
    arity = 2

    def __init__(self, left: Any, right: Any) -> None:
        super().__init__(left, right, output_field=Uint256Field())

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return super().as_sql(
            compiler,
            connection,
            function="uint256_add",
            template="%(function)s(%(expressions)s)",
            arg_joiner=", ",
            **extra_context,
        )


def uint256_value(value: int) -> models.Value:
    """A number as an expression of a uint256 column's type (a delta may be negative)."""
    return models.Value(value, output_field=Uint256Field())


def sqlite_columns_pad(schema_editor: Any, table: str, columns: list[str]) -> None:
    """Rewrite a table's uint256 columns as SQLite's fixed-width text: what a migration does
    after it turned them from decimal into text (the table's copy keeps each value as it was
    stored, an integer or, above 2**63 - 1, the float SQLite had already made of it)."""
    connection = schema_editor.connection
    if connection.vendor != "sqlite":
        return
    sqlite_functions_install(connection=connection)
    quote = schema_editor.quote_name
    assignments = ", ".join(
        f"{quote(column)} = uint256_text({quote(column)})" for column in columns
    )
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {quote(table)} SET {assignments}")  # noqa: S608 - model names
