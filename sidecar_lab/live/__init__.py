"""The live cluster: the same questions asked of a real Kubernetes API with Istio.

One module per part, each readable and testable alone; :class:`~sidecar_lab.live.cluster.LiveCluster`
puts them behind one object for the notebooks and the command:

``client``      connecting (kubeconfig, service account, exec credential plugins), bounded requests,
                JSON read by us (a cut-off body or an HTML page is a clean error), one-line errors
                with a valid ``kubectl auth can-i`` hint, redaction of tokens and URL userinfo
``discovery``   which Istio kinds the server serves (a kind it advertises but will not list is an
                error, not "no CRD"), and every namespaced resource type
``snapshot``    the objects the simulator reads, pruned, through the core's loader
``preflight``   what the cluster has and lacks, each gap with the line that fixes it
``session``     a connection's work: the allow-list and the ledger of what it created and changed
``actions``     apply (all or nothing, rolled back on failure), patch, delete, the seed's lab
``cleanup``     delete what sidecar-lab created, never a namespace holding what it did not
``podexec``     curl in a pod: the exit code seen, or why nothing could be observed
``verify``      waiting for the proxies, prediction beside observation, the walkthrough
``compare``     the comparison itself (pure: no cluster)
``cluster``     :class:`LiveCluster`, the face over all of them

It may import the core, never the course or the scale tools. The ``kubernetes`` client (the
``live`` extra) is imported inside the functions that talk to the cluster.
"""
