"""The trained generator of a dataset, stored in the model store with its manifest."""

import json

import dagster as dg
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from accrete.generator.base import GeneratorError  # noqa: E402
from accrete.generator.model_store import ModelStoreFullError  # noqa: E402
from accrete.generator.privacy_budget import privacy_statement  # noqa: E402
from accrete.generator.train import read_training_rows, train_generator  # noqa: E402
from accrete.spec import DatasetSpec  # noqa: E402
from assets.asset_keys import DatasetAssetKeys, Group  # noqa: E402
from assets.metadata import png_markdown  # noqa: E402
from resources import DuckDBWarehouse, ModelStoreResource  # noqa: E402

# Under Kubernetes (k8s_job_executor) the training step gets its own pod with one GPU.
GPU_POD_TAGS = {
    "dagster-k8s/config": {
        "container_config": {
            "resources": {"limits": {"nvidia.com/gpu": "1"}, "requests": {"nvidia.com/gpu": "1"}}
        }
    }
}


def _loss_plot(losses: list[float]) -> dg.MetadataValue:
    figure, axis = plt.subplots(figsize=(5, 3))
    axis.plot(range(1, len(losses) + 1), losses)
    axis.set_xlabel("epoch")
    axis.set_ylabel("training loss")
    plot = png_markdown(figure)
    plt.close(figure)
    return plot


def build_generator_asset(spec: DatasetSpec) -> dg.AssetsDefinition:
    keys = DatasetAssetKeys(spec.name)

    @dg.asset(
        key=keys.generator,
        deps=[keys.train, keys.generations],
        group_name=Group.GENERATE,
        kinds={"pytorch" if spec.generator.backend == "autoregressive" else "sdv"},
        pool="gpu",
        op_tags=GPU_POD_TAGS,
        # a busy warehouse file or a crashed (or killed) training process is transient; a bad setting,
        # an empty split or a full model store is not (failed without a retry)
        retry_policy=dg.RetryPolicy(max_retries=2, delay=15),
        description=(
            f"A generative model of the real {spec.name} training rows ({spec.generator.backend}), "
            "versioned by the spec and data it learned from; it never sees the holdout. Under "
            "training_data: real_and_synthetic it also learns from earlier validated generations "
            f"({keys.generations.to_user_string()}, kept by the mixed table's step; "
            f"this spec: training_data: {spec.generator.training_data})."
        ),
    )
    def generator(
        context: dg.AssetExecutionContext, warehouse: DuckDBWarehouse, model_store: ModelStoreResource
    ) -> dg.MaterializeResult:
        """The model that stands in for real people: trained only on accumulated real training rows."""
        with warehouse.connect(read_only=True) as connection:
            rows, batches = read_training_rows(connection, spec)

        def log_progress(progress: dict) -> None:
            fields = (
                f"{key}={value:.4g}" if isinstance(value, float) else f"{key}={value}"
                for key, value in progress.items()
            )
            context.log.info(f"{spec.name} generator: " + ", ".join(fields))

        context.log.info(
            f"{spec.name}: training {spec.generator.backend} on {len(rows):,} rows "
            f"({spec.generator.training_data}, {len(batches)} batches)"
        )
        try:
            stored, report = train_generator(spec, rows, batches, model_store.store(), progress=log_progress)
        except (GeneratorError, ModelStoreFullError) as error:
            raise dg.Failure(description=str(error), allow_retries=False) from error
        metadata = {
            "model_version": stored.version,
            "model_uri": dg.MetadataValue.url(stored.uri),
            "backend": stored.manifest["backend"],
            "settings": dg.MetadataValue.json(stored.manifest["settings"]),
            "training_rows": report.rows,
            "training_data": spec.generator.training_data,
            "training_batches": len(batches),
            "training_data_version": stored.manifest["training_data_version"],
            "fit_seconds": round(report.seconds, 2),
            "epochs": report.epochs if report.epochs is not None else "n/a",
            "device": report.device,
            "privacy": privacy_statement(stored.manifest.get("privacy")),
        }
        if stored.manifest.get("privacy") is not None:
            metadata["privacy_budget"] = dg.MetadataValue.json(stored.manifest["privacy"])
        if report.losses:
            metadata["loss_curve"] = _loss_plot(report.losses)
        context.log.info(
            f"{spec.name}: stored generator {stored.version} ({json.dumps(metadata['fit_seconds'])} s)"
        )
        return dg.MaterializeResult(metadata=metadata)

    return generator
