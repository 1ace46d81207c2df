// The shapes the API answers with (see /api/v1/docs).

export interface User {
  id: string;
  username: string;
  is_admin: boolean;
  created_at: string;
}

export interface SessionInfo {
  user: User;
  csrf_token: string | null;
}

export interface ColumnSpec {
  name: string;
  kind: string;
  [key: string]: unknown;
}

export interface SchemaJson {
  format_version?: number;
  columns: ColumnSpec[];
  target: string | null;
  sensitive: string[];
  rare_threshold?: number;
}

export interface Dataset {
  id: string;
  owner_id: string;
  project_id: string | null;
  name: string;
  file_format: string;
  size_bytes: number;
  n_rows: number;
  n_train: number;
  n_holdout: number;
  holdout_fraction: number;
  seed: number;
  columns: string[];
  schema: SchemaJson;
  notes: string[];
  created_at: string;
}

export interface Preview {
  columns: string[];
  rows: unknown[][];
  n_rows: number;
}

export interface Progress {
  stage?: string;
  done?: number;
  total?: number | null;
  metrics?: Record<string, number>;
  elapsed_s?: number;
  eta_s?: number | null;
}

export interface Job {
  id: string;
  kind: string;
  target_id: string;
  status: "queued" | "running" | "succeeded" | "failed" | "cancelled";
  progress: Progress;
  error: string | null;
  cancel_requested: boolean;
  attempts: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  log?: string;
}

export interface Param {
  name: string;
  type: string;
  default: unknown;
  required: boolean;
}

export interface Synthesizer {
  name: string;
  description: string;
  available: boolean;
  reason: string;
  is_default?: boolean;
  params: Param[];
  privacy_param: string | null;
}

export interface Run {
  id: string;
  dataset_id: string;
  synthesizer: string;
  params: Record<string, unknown>;
  seed: number | null;
  fit_seconds: number | null;
  created_at: string;
  job: Job;
}

export interface SyntheticTable {
  id: string;
  dataset_id: string;
  run_id: string;
  n_rows: number;
  seed: number | null;
  conditions: Record<string, unknown> | null;
  rebalance: string | null;
  ratios: Record<string, number> | null;
  created_at: string;
  job: Job;
}

export interface Evaluation {
  id: string;
  dataset_id: string;
  synthetic_id: string;
  created_at: string;
  job: Job;
}

export interface Member {
  id: string;
  username: string;
  added_at: string;
}

export interface Project {
  id: string;
  name: string;
  owner_id: string;
  created_at: string;
  members: Member[];
}

/** One chart of the report, as GET /evaluations/{id}/figures sends it. */
export interface Figure {
  section: string;
  group: string;
  heading: string;
  label: string;
  tall: boolean;
  figure: { data: unknown[]; layout: Record<string, unknown> };
}

export interface Figures {
  template: Record<string, unknown> | null;
  figures: Figure[];
}

export const ACTIVE = ["queued", "running"];
