#!/usr/bin/env python3
"""A small client for `noisegraph serve` (standard library only).

    ng-client.py [--server http://127.0.0.1:8188] [--token T] GRAPH.yaml [NAME=VALUE ...]
                 [--set node.param=value ...] [--out DIR]
NAME=VALUE sets a graph input (the graph's `inputs:`), as `noisegraph run` does.

Submits the graph, waits for it to finish (polling /history), and downloads its output
files into DIR (default: the current folder). Exit status 0 on success, 1 if the job failed,
2 if the server refused it.
"""
import argparse, json, os, sys, time, urllib.error, urllib.parse, urllib.request


def call(server, path, token, body=None, method=None):
    req = urllib.request.Request(server + path, data=body, method=method)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    if body is not None:
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=60) as r:
        return r.read()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("graph")
    ap.add_argument("inputs", nargs="*", metavar="NAME=VALUE")
    ap.add_argument("--server", default="http://127.0.0.1:8188")
    ap.add_argument("--token", default=os.environ.get("NOISEGRAPH_TOKEN"))
    ap.add_argument("--set", action="append", default=[], metavar="NODE.PARAM=VALUE")
    ap.add_argument("--client-id", default="ng-client")
    ap.add_argument("--out", default=".")
    a = ap.parse_args()
    with open(a.graph, encoding="utf-8") as f:
        graph = f.read()
    inputs = {}
    for text in a.inputs:
        name, eq, value = text.partition("=")
        if not eq or not name:
            ap.error("expected a graph input as NAME=VALUE, found %r" % text)
        inputs[name] = value
    body = json.dumps({"prompt": graph, "client_id": a.client_id, "set": a.set, "inputs": inputs}).encode()
    try:
        job = json.loads(call(a.server, "/prompt", a.token, body))
    except urllib.error.HTTPError as e:
        print("refused (%d): %s" % (e.code, json.loads(e.read()).get("error", {}).get("message")), file=sys.stderr)
        return 2
    pid = job["prompt_id"]
    print("queued as #%d, prompt id %s" % (job["number"], pid))
    while True:
        entry = json.loads(call(a.server, "/history/" + pid, a.token))[pid]
        status = entry["status"]["status_str"]
        if status not in ("queued", "running"):
            break
        time.sleep(0.5)
    if status != "success":
        print("%s: %s" % (status, entry["status"].get("error", "")), file=sys.stderr)
        return 1
    os.makedirs(a.out, exist_ok=True)
    for name in entry["files"]:
        sub, _, filename = name.partition("/")
        data = call(a.server, "/view?" + urllib.parse.urlencode({"subfolder": sub, "filename": filename}), a.token)
        path = os.path.join(a.out, filename)
        with open(path, "wb") as f:
            f.write(data)
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
