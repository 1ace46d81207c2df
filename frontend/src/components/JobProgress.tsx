import { useEffect, useState } from "react";
import { API, post } from "../api";
import { ACTIVE, type Job } from "../types";
import { ErrorMessage } from "./ErrorMessage";

function seconds(value: number | null | undefined): string {
  if (value === null || value === undefined) return "";
  if (value < 60) return `${Math.round(value)} s`;
  return `${Math.floor(value / 60)} min ${Math.round(value % 60)} s`;
}

/** A job's live state from the server's event stream, with cancel and retry. */
export function JobProgress({
  job: initial,
  onChange,
}: {
  job: Job;
  onChange?: (job: Job) => void;
}) {
  const [job, setJob] = useState(initial);
  const [error, setError] = useState<unknown>(null);
  const active = ACTIVE.includes(job.status);

  useEffect(() => {
    if (!active) return;
    const source = new EventSource(`${API}/jobs/${job.id}/events`);
    source.addEventListener("job", (event) => {
      const next = JSON.parse((event as MessageEvent).data) as Job;
      setJob(next);
      if (!ACTIVE.includes(next.status)) {
        source.close();
        onChange?.(next);
      }
    });
    source.onerror = () => source.close();
    return () => source.close();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [job.id, active]);

  async function act(action: "cancel" | "retry") {
    setError(null);
    try {
      const next = await post<Job>(`/jobs/${job.id}/${action}`);
      setJob(next);
      onChange?.(next);
    } catch (exc) {
      setError(exc);
    }
  }

  const { stage, done, total, metrics, eta_s } = job.progress;
  const share = total ? (done ?? 0) / total : undefined;
  return (
    <div className={`job job-${job.status}`}>
      <span className="status" role="status" aria-label={`${job.kind} job ${job.status}`}>
        {job.status}
      </span>
      {active && stage && (
        <span>
          {stage} {done ?? 0}
          {total ? ` / ${total}` : ""}
        </span>
      )}
      {active && (
        <progress aria-label={`${job.kind} progress`} max={1} value={share}>
          {share !== undefined ? `${Math.round(share * 100)}%` : "working"}
        </progress>
      )}
      {active &&
        metrics &&
        Object.entries(metrics).map(([key, value]) => (
          <span key={key} className="hint">
            {key} {value.toPrecision(3)}
          </span>
        ))}
      {active && eta_s ? <span className="hint">about {seconds(eta_s)} left</span> : null}
      {active && (
        <button
          type="button"
          className="secondary"
          disabled={job.cancel_requested}
          onClick={() => void act("cancel")}
        >
          Cancel
        </button>
      )}
      {(job.status === "failed" || job.status === "cancelled") && (
        <button type="button" className="secondary" onClick={() => void act("retry")}>
          Retry
        </button>
      )}
      {job.error && <ErrorMessage error={job.error} />}
      <ErrorMessage error={error} />
    </div>
  );
}
