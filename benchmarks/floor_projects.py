"""FLOOR ONLY: each project's ingest, features, labels and label mapping re-implemented in pandas,
for the Spark-free floor (floor.py). Same columns, same order and same values as the project's
Spark code on its real data (the floor's holdout metrics must equal the lifecycle's); parameters as
the dev target's bundle sets them. Never used by a job."""

from __future__ import annotations

import numpy as np
import pandas as pd
from floor import FloorModel, read, write

OBSERVED_AT = pd.Timestamp("2026-01-31", tz="UTC")  # the ingest tasks' observed_at


def _model(project: str, spec, settings, labels: str, features: str, feature_time: str, label_values, **extra):
    name = f"dev.{project}.{project}_{extra.get('variant') or 'model'}"
    return FloorModel(spec, settings, name, labels, features, feature_time, label_values,
                      experiment=f"/Shared/benchmark-floor/{project}", **extra)


def _yes(values: pd.Series) -> pd.Series:
    """1.0 for 'Yes' or 1, else 0.0."""
    return values.astype(str).isin(["Yes", "1"]).astype("float64")


def _number(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values, errors="coerce").fillna(0.0).astype("float64")


# --- churn -------------------------------------------------------------------------------------------------

def churn_features(raw: pd.DataFrame) -> pd.DataFrame:
    """projects/churn/features.py (compute_features)."""
    from projects.churn.features import SERVICE_COLUMNS

    monthly, total, tenure = _number(raw["monthly_charges"]), _number(raw["total_charges"]), _number(raw["tenure"])
    return pd.DataFrame({
        "customer_id": raw["customer_id"], "feature_timestamp": raw["observed_at"],
        "female": _yes(raw["female"]), "senior_citizen": _yes(raw["senior_citizen"]),
        "has_partner": _yes(raw["partner"]), "has_dependents": _yes(raw["dependents"]),
        "tenure_months": tenure,
        "contract_months": raw["contract"].map({"Two year": 24.0, "One year": 12.0}).fillna(1.0),
        "paperless_billing": _yes(raw["paperless_billing"]),
        "pays_by_electronic_check": (raw["payment_method"] == "Electronic check").astype("float64"),
        "pays_automatically": raw["payment_method"].str.contains("automatic", regex=False, na=False).astype("float64"),
        "service_count": sum(_yes(raw[c]) for c in SERVICE_COLUMNS) + _yes(raw["multiple_lines"]),
        "has_fiber": (raw["internet_service"] == "Fiber optic").astype("float64"),
        "has_internet": (raw["internet_service"] != "No").astype("float64"),
        "has_tech_support": _yes(raw["tech_support"]), "has_online_security": _yes(raw["online_security"]),
        "monthly_charges": monthly, "total_charges": total,
        "average_monthly_charge": (total / tenure.where(tenure > 0)).where(tenure > 0, monthly),
    })


def churn(step) -> list[FloorModel]:
    from projects.churn.data import RAW_COLUMNS, load_telco
    from projects.churn.model import SPEC
    from projects.churn.settings import load_settings

    raw, features = "dev.churn.telco_customers", "dev.churn.customer_features"
    with step("ingest_raw_data"):
        write(load_telco().assign(observed_at=OBSERVED_AT)[RAW_COLUMNS], raw)
    with step("compute_features"):
        write(churn_features(read(raw, [c for c in RAW_COLUMNS if c != "churn"])), features)
    return [_model("churn", SPEC, load_settings(), raw, features, "feature_timestamp",
                   lambda label: _yes(label).astype("int32"))]


# --- credit_risk -------------------------------------------------------------------------------------------

def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    return (numerator / denominator.where(denominator > 0)).where(denominator > 0, 0.0)


def credit_features(raw: pd.DataFrame) -> pd.DataFrame:
    """projects/credit_risk/features.py (compute_features)."""
    from projects.credit_risk.data import HOME, JOB, MARITAL

    n = {c: _number(raw[c]) for c in ("seniority", "age", "amount", "price", "time", "income", "expenses",
                                      "assets", "debt")}
    installment, known = _ratio(n["amount"], n["time"]), n["income"] > 0
    one_hot = {f"{c}_{v}": (raw[c] == v).astype("float64") for c, values in
               (("home", HOME), ("marital", MARITAL), ("job", JOB)) for v in values}
    return pd.DataFrame({
        "application_id": raw["application_id"], "feature_timestamp": raw["observed_at"],
        "age": n["age"], "seniority_years": n["seniority"], "seniority_to_age": _ratio(n["seniority"], n["age"]),
        "has_records": (raw["records"] == "yes").astype("float64"), **one_hot,
        "loan_amount": n["amount"], "purchase_price": n["price"], "term_months": n["time"],
        "loan_to_price": _ratio(n["amount"], n["price"]), "monthly_installment": installment,
        "income": n["income"], "income_unknown": (~known).astype("float64"), "expenses": n["expenses"],
        "assets": n["assets"], "debt": n["debt"], "net_assets": n["assets"] - n["debt"],
        "debt_to_income": _ratio(n["debt"], n["income"]), "expenses_share": _ratio(n["expenses"], n["income"]),
        "installment_to_income": _ratio(installment, n["income"]),
        "disposable_income": (n["income"] - n["expenses"] - installment).where(known, 0.0),
    })


def credit_risk(step) -> list[FloorModel]:
    from projects.credit_risk.data import LABEL, RAW_COLUMNS, load_credit_data
    from projects.credit_risk.model import SPEC
    from projects.credit_risk.settings import load_settings

    raw, features = "dev.credit_risk.credit_applications", "dev.credit_risk.application_features"
    with step("ingest_raw_data"):
        write(load_credit_data().assign(observed_at=OBSERVED_AT)[RAW_COLUMNS], raw)
    with step("compute_features"):
        write(credit_features(read(raw, [c for c in RAW_COLUMNS if c != LABEL])), features)
    return [_model("credit_risk", SPEC, load_settings(), raw, features, "feature_timestamp",
                   lambda status: (status.astype(str).str.strip().str.lower() == "bad").astype("int32"))]


# --- iris --------------------------------------------------------------------------------------------------

def iris(step) -> list[FloorModel]:
    from projects.iris.data import MEASUREMENTS, RAW_COLUMNS, SPECIES, load_iris
    from projects.iris.model import SPEC
    from projects.iris.settings import load_settings

    raw, features = "dev.iris.flowers", "dev.iris.flower_features"
    with step("ingest_raw_data"):
        write(load_iris().assign(observed_at=OBSERVED_AT)[RAW_COLUMNS], raw)
    with step("compute_features"):
        flowers = read(raw, ["flower_id", "observed_at", *MEASUREMENTS]).astype({m: "float64" for m in MEASUREMENTS})
        write(flowers.rename(columns={"observed_at": "feature_timestamp"}).assign(
            petal_area=flowers.petal_length * flowers.petal_width,
            petal_elongation=flowers.petal_length / flowers.petal_width.clip(lower=0.1)), features)
    species = {name: i for i, name in enumerate(SPECIES)}
    return [_model("iris", SPEC, load_settings(), raw, features, "feature_timestamp",
                   lambda label: label.map(species).astype("int32"), serving_endpoint="dev-iris")]


# --- clv ---------------------------------------------------------------------------------------------------

CUTOFFS, HORIZON_DAYS, CLV_SAMPLE = ("1997-07-01", "1997-10-01", "1998-01-01", "1998-04-01"), 90, 0.25


def clv_history(transactions: pd.DataFrame, cutoffs: pd.Series) -> pd.DataFrame:
    """projects/clv/features.py (history): each purchase with every cut-off strictly after it."""
    both = transactions.merge(pd.DataFrame({"cutoff": cutoffs}), how="cross")
    both = both[both["purchase_date"] < both["cutoff"]]
    return both.assign(days_before=(both["cutoff"] - both["purchase_date"]).dt.days)


def clv_features(history: pd.DataFrame) -> pd.DataFrame:
    """projects/clv/features.py (compute_features)."""
    h = history.assign(**{f"recent_{d}": history["days_before"] <= d for d in (30, 90)})
    for d in (30, 90):
        h[f"spend_{d}"] = h["dollars"].where(h[f"recent_{d}"], 0.0)
    g = h.groupby(["customer_id", "cutoff"], sort=False)
    out = pd.DataFrame({
        "purchases": g.size().astype("float64"),
        "repeat_purchase_days": (g["purchase_date"].nunique() - 1).astype("float64"),
        "recency_days": g["days_before"].min().astype("float64"),
        "tenure_days": g["days_before"].max().astype("float64"),
        "total_spend": g["dollars"].sum(), "mean_spend": g["dollars"].mean(), "max_spend": g["dollars"].max(),
        "total_cds": g["cds"].sum().astype("float64"),
    })
    for d in (30, 90):
        out[f"spend_last_{d}d"] = g[f"spend_{d}"].sum()
        out[f"purchases_last_{d}d"] = g[f"recent_{d}"].sum().astype("float64")
    return out.reset_index()


def clv_labels(transactions: pd.DataFrame, history: pd.DataFrame, cutoffs: pd.Series) -> pd.DataFrame:
    """projects/clv/labels.py (compute_labels)."""
    from projects.clv.labels import HIGH_VALUE

    known = history[["customer_id", "cutoff", "country"]].drop_duplicates()
    both = transactions.merge(pd.DataFrame({"cutoff": cutoffs}), how="cross")
    window = both[(both["purchase_date"] >= both["cutoff"])
                  & (both["purchase_date"] < both["cutoff"] + pd.Timedelta(days=HORIZON_DAYS))]
    future = window.groupby(["customer_id", "cutoff"]).agg(future_purchases=("dollars", "size"),
                                                           future_spend=("dollars", "sum")).reset_index()
    labels = known.merge(future, on=["customer_id", "cutoff"], how="left").fillna(
        {"future_purchases": 0, "future_spend": 0.0})
    bought = labels["future_purchases"] > 0
    return labels.assign(repurchased=bought.astype("int32"),
                         value_bucket=np.where(~bought, 0, np.where(labels["future_spend"] < HIGH_VALUE, 1, 2)))


def clv(step) -> list[FloorModel]:
    from projects.clv.data import load_cdnow, with_keys_and_country
    from projects.clv.model import VARIANTS, spec_for
    from projects.clv.settings import load_settings

    transactions, features, labels = "dev.clv.transactions", "dev.clv.customer_features", "dev.clv.customer_labels"
    cutoffs = pd.Series(pd.to_datetime(list(CUTOFFS)))
    with step("ingest_transactions"):
        df = with_keys_and_country(load_cdnow())
        write(df.assign(purchase_date=pd.to_datetime(df["purchase_date"])), transactions)
    with step("compute_features"):
        history = clv_history(read(transactions), cutoffs)
        write(clv_features(history), features)
    with step("compute_labels"):
        bought = read(transactions)
        last = bought["purchase_date"].max()
        assert all(c + pd.Timedelta(days=HORIZON_DAYS - 1) <= last for c in cutoffs), "label window past the data"
        write(clv_labels(bought, clv_history(bought, cutoffs), cutoffs), labels)
    return [_model("clv", spec_for(v), load_settings(v), labels, features, "cutoff", lambda label: label,
                   variant=v, sample_fraction=CLV_SAMPLE) for v in VARIANTS]


PROJECTS = {"churn": churn, "clv": clv, "credit_risk": credit_risk, "iris": iris}
