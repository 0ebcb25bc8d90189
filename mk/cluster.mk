# Many edge nodes on one Redis (t/cluster/, README "Cluster").
#
#   make test           runs t/cluster/cluster.t: two nginx nodes and an
#                       httpd node on one redis-server (about 10 s)
#   make test-cluster   that, and every shared scenario (t/both-servers/)
#                       against both servers with their state in Redis
#   make test-cluster-asan  the same against nginx with the ASan module
#
# Ports: cluster.t 19700-19705, the scenarios 19860-19899 and 19891.

TEST_TARGETS += test-cluster-nodes

.PHONY: test-cluster test-cluster-nodes test-cluster-asan

test-cluster-nodes: $(NGX_MOD) $(APACHE_MOD) | deps
	@prove t/cluster/cluster.t

test-cluster: test-cluster-nodes
	@AV_STORE=redis ./t/both-servers/run

# the same with nginx's module built with ASan+UBSan (t/cluster/sanitized)
# (hardening.mk, read after this file, builds the module)
test-cluster-asan: $(BUILD)/asan/ngx_http_appverify_module.so $(APACHE_MOD) | deps
	@./t/cluster/sanitized
