"""Model files for the benchmarks, staged and converted as the workflow's `models` target does."""

from __future__ import annotations

Config = tuple[str, str, str]  # (backend, model, compute type)


def ggml_unavailable() -> str | None:
    """Why whisper.cpp cannot be benchmarked here, or None when it can."""
    try:
        import subvox.models.ggml  # noqa: F401
    except ImportError as exc:
        return f"subvox.models.ggml is not importable ({exc})"
    from subvox.models import store as models

    if not hasattr(models, "ggml_model"):
        return "subvox.models.store.ggml_model does not exist"
    return None


def prepare_models(configs: list[Config], models_dir: str) -> tuple[dict[Config, str], dict[Config, str]]:
    """Stage every model file the configurations need: the CTranslate2 directory
    (faster-whisper), the openai-whisper checkpoint converted from it, the ggml file
    (whisper.cpp; f16 is the workflow's, other types get ``<id>.<type>.bin``).

    Returns ({config: model path}, {config: why it is skipped}).
    """
    from subvox.models import store as models
    from subvox.models.ct2 import convert

    paths: dict[Config, str] = {}
    skipped: dict[Config, str] = {}
    for backend, model, compute in configs:
        key = (backend, model, compute)
        try:
            ct2 = models.ct2_source(model, models_dir)
            if not models.is_ct2_dir(ct2):
                print(f"staging {model} -> {ct2}", flush=True)
                models.fetch_model(model, ct2)
            if backend == "faster-whisper":
                paths[key] = str(ct2)
                continue
            ckpt = models.openai_checkpoint(models_dir, model)
            if not ckpt.is_file():
                print(f"converting {model} -> {ckpt}", flush=True)
                convert(ct2, ckpt)
            if backend == "openai-whisper":
                paths[key] = str(ckpt)
                continue
            from subvox.models.ggml import convert_ggml

            path = models.ggml_model(models_dir, model)  # <id>.bin, f16 (the workflow's)
            if compute != "f16":
                path = path.with_name(f"{path.stem}.{compute}.bin")
            if not path.is_file():
                print(f"converting {model} -> {path} (ggml {compute})", flush=True)
                convert_ggml(ckpt, path, compute)
            paths[key] = str(path)
        except Exception as exc:  # one backend failing to stage must not stop the others
            skipped[key] = f"{type(exc).__name__}: {exc}"
            print(f"note: {backend} {compute} {model} skipped: {skipped[key]}", flush=True)
    return paths, skipped
