import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Project } from "../types";
import { ProjectsPage } from "./ProjectsPage";

const member = (id: string, username: string) => ({ id, username, added_at: "" });
const ours: Project = {
  id: "p1",
  name: "Ours",
  owner_id: "u1",
  created_at: "",
  members: [member("u1", "alice"), member("u2", "bob")],
};
const theirs: Project = { ...ours, id: "p2", name: "Theirs", owner_id: "u3", members: [member("u3", "carol"), member("u1", "alice")] };

describe("ProjectsPage", () => {
  let fetchMock: ReturnType<typeof vi.fn>;
  beforeEach(() => {
    fetchMock = vi.fn(async (url: string, init?: RequestInit) => {
      if (init?.method === "POST" && url.endsWith("/members")) {
        return new Response(JSON.stringify({ detail: "there is no user named 'zed'" }), { status: 422 });
      }
      if (init?.method && init.method !== "GET") return new Response(null, { status: 204 });
      return new Response(JSON.stringify([ours, theirs]), { status: 200 });
    });
    vi.stubGlobal("fetch", fetchMock);
  });
  afterEach(() => vi.unstubAllGlobals());

  it("lets the owner manage members and a member leave", async () => {
    const user = userEvent.setup();
    render(<ProjectsPage userId="u1" />);
    const mine = await screen.findByRole("region", { name: "Ours" });
    const other = screen.getByRole("region", { name: "Theirs" });
    // The owner adds and removes people; in someone else's project one can only leave.
    expect(within(mine).getByRole("button", { name: "Remove bob" })).toBeInTheDocument();
    expect(within(other).queryByRole("textbox", { name: /Add a member/ })).toBeNull();
    expect(within(other).queryByRole("button", { name: /Remove/ })).toBeNull();
    await user.click(within(other).getByRole("button", { name: "Leave" }));
    expect(fetchMock).toHaveBeenCalledWith(
      "/api/v1/projects/p2/members/u1",
      expect.objectContaining({ method: "DELETE" }),
    );
    // The server's message for an unknown name is shown as it is.
    await user.type(within(mine).getByRole("textbox", { name: /Add a member/ }), "zed");
    await user.click(within(mine).getByRole("button", { name: "Add member" }));
    expect(await within(mine).findByRole("alert")).toHaveTextContent("there is no user named 'zed'");
    const [url, init] = fetchMock.mock.calls.find(([u]) => String(u).endsWith("/members"))!;
    expect(url).toBe("/api/v1/projects/p1/members");
    expect(JSON.parse(String(init.body))).toEqual({ username: "zed" });
  });

  it("creates a project", async () => {
    const user = userEvent.setup();
    render(<ProjectsPage userId="u1" />);
    await user.type(screen.getByRole("textbox", { name: "New project" }), "Audit");
    await user.click(screen.getByRole("button", { name: "Create project" }));
    const post = fetchMock.mock.calls.find(([, init]) => init?.method === "POST")!;
    expect(post[0]).toBe("/api/v1/projects");
    expect(JSON.parse(String(post[1].body))).toEqual({ name: "Audit" });
  });
});
