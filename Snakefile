# subvox: a folder of media -> subtitles (SRT, VTT, TXT, JSON with word timings) and,
# with revoice.enabled, a dubbed audio track in a chosen or cloned voice.
#
#   snakemake -c2 --config input_dir=DIR output_dir=OUT
#   snakemake -c2 models          # stage/convert the configured models only
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


include: "rules/common.smk"
include: "rules/models.smk"
include: "rules/soundtrack.smk"
include: "rules/speakers.smk"
include: "rules/subtitles.smk"
include: "rules/revoice.smk"
include: "rules/translate.smk"
include: "rules/reports.smk"


onsuccess:
    release_scheduler_timers()
    if report_run(OUT, MEDIA):
        sys.exit(1)  # some files failed: say so in the exit status (failed.tsv has the reasons)


onerror:
    release_scheduler_timers()
    report_run(OUT, MEDIA)


rule all:
    input:
        final_markers(),
    default_target: True
