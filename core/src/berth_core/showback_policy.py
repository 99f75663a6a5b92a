"""The site's showback settings (`spec.showback` in cloud.yml): the currency, what a month of each
committed resource costs, and where the exporter's Prometheus answers.

```yaml
spec:
  showback:
    currency: VND                                   # ISO 4217 code, shown next to every cost
    monthly: {cores: 150000, ramGiB: 40000, volumeGiB: 2000}   # per unit of committed quota per month
    prometheus: http://127.0.0.1:9090               # optional: `berth report usage` reads it
```

A price is charged on committed quota (what the agency reserved), prorated by the time observed in the
month: berth_core.showback says why.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field, StrictFloat, field_validator
from pydantic_core import PydanticCustomError

from berth_core.model_base import Model
from berth_core.safe_text import describe

CURRENCY_PATTERN = r"^[A-Z]{3}$"
Price = Annotated[StrictFloat, Field(ge=0)]
_URL = re.compile(
    r"^https?://(?:[^\s/?#@]+@)?(?:[^\s/?#@:\[\]]+|\[[0-9a-fA-F:.]+\])(?::\d{1,5})?(?:[/?#]\S*)?$"
)


class MonthlyPrices(Model):
    """What one unit of committed quota costs for a whole month; a resource left out is not priced."""

    cores: Price | None = None
    ram_gib: Price | None = Field(default=None, alias="ramGiB")
    volume_gib: Price | None = Field(default=None, alias="volumeGiB")

    def by_field(self) -> dict[str, float]:
        """Prices by the quota field names of manifests (cores, ramGiB, volumeGiB); unpriced ones left out."""
        prices = {"cores": self.cores, "ramGiB": self.ram_gib, "volumeGiB": self.volume_gib}
        return {k: v for k, v in prices.items() if v is not None}


class ShowbackPolicy(Model):
    currency: Annotated[str, Field(pattern=CURRENCY_PATTERN)] = "VND"
    monthly: MonthlyPrices = MonthlyPrices()
    prometheus: str | None = None

    @field_validator("prometheus")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not _URL.match(value):
            raise PydanticCustomError("report.prometheus_url", "not an http(s) URL", {"got": describe(value)})
        return value
