import { act, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Job } from "../types";
import { JobProgress } from "./JobProgress";

class FakeEventSource {
  static last: FakeEventSource | null = null;
  listeners: Record<string, (event: MessageEvent) => void> = {};
  closed = false;
  onerror: (() => void) | null = null;
  constructor(public url: string) {
    FakeEventSource.last = this;
  }
  addEventListener(name: string, listener: (event: MessageEvent) => void) {
    this.listeners[name] = listener;
  }
  close() {
    this.closed = true;
  }
  emit(job: Job) {
    act(() => this.listeners.job(new MessageEvent("job", { data: JSON.stringify(job) })));
  }
}

const job: Job = {
  id: "j1",
  kind: "train",
  target_id: "r1",
  status: "queued",
  progress: {},
  error: null,
  cancel_requested: false,
  attempts: 0,
  created_at: "2026-01-01T00:00:00Z",
  started_at: null,
  finished_at: null,
};

describe("JobProgress", () => {
  beforeEach(() => vi.stubGlobal("EventSource", FakeEventSource));
  afterEach(() => vi.unstubAllGlobals());

  it("follows the job's events: progress, losses, time left, the end", () => {
    const onChange = vi.fn();
    render(<JobProgress job={job} onChange={onChange} />);
    const source = FakeEventSource.last!;
    expect(source.url).toBe("/api/v1/jobs/j1/events");
    source.emit({
      ...job,
      status: "running",
      progress: { stage: "epoch", done: 5, total: 20, metrics: { loss: 0.5 }, eta_s: 90 },
    });
    expect(screen.getByRole("status", { name: "train job running" })).toBeInTheDocument();
    expect(screen.getByRole("progressbar", { name: "train progress" })).toHaveAttribute(
      "value",
      "0.25",
    );
    expect(screen.getByText("loss 0.500")).toBeInTheDocument();
    expect(screen.getByText("about 1 min 30 s left")).toBeInTheDocument();
    source.emit({ ...job, status: "succeeded", progress: { stage: "epoch", done: 20, total: 20 } });
    expect(screen.getByRole("status", { name: "train job succeeded" })).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Cancel" })).toBeNull();
    expect(source.closed).toBe(true);
    expect(onChange).toHaveBeenCalledWith(expect.objectContaining({ status: "succeeded" }));
  });

  it("cancels through the API and offers a retry after a failure", async () => {
    const fetchMock = vi.fn().mockResolvedValue(
      new Response(JSON.stringify({ ...job, status: "cancelled" }), { status: 200 }),
    );
    vi.stubGlobal("fetch", fetchMock);
    render(<JobProgress job={{ ...job, status: "running" }} />);
    await userEvent.click(screen.getByRole("button", { name: "Cancel" }));
    expect(fetchMock).toHaveBeenCalledWith(
      "/api/v1/jobs/j1/cancel",
      expect.objectContaining({ method: "POST" }),
    );
    expect(await screen.findByRole("button", { name: "Retry" })).toBeInTheDocument();
  });

  it("shows a failed job's reason", () => {
    render(<JobProgress job={{ ...job, status: "failed", error: "the worker process was killed" }} />);
    expect(screen.getByRole("alert")).toHaveTextContent("the worker process was killed");
  });
});
