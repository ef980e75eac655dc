# Makes the test cluster's certificates, keys, tokens and kubeconfigs with
# openssl (sourced by start.sh; runs once per cluster dir).

make_pki() {
  local pki=$KODEV_CLUSTER_DIR/pki
  [[ -f $pki/.done ]] && return 0
  mkdir -p "$pki"
  (
    cd "$pki"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=kodev-test-cluster-ca" \
      -keyout ca.key -out ca.crt 2>/dev/null
    # sign NAME SUBJECT SANS: a leaf certificate signed by the cluster CA.
    sign() {
      openssl req -newkey rsa:2048 -nodes -subj "$2" -keyout "$1.key" -out "$1.csr" 2>/dev/null
      printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n%s\n' "$3" >"$1.ext"
      openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 -extfile "$1.ext" -out "$1.crt" 2>/dev/null
      rm -f "$1.csr" "$1.ext"
    }
    sign apiserver "/CN=kube-apiserver" "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,IP:10.96.0.1"
    sign apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" ""
    sign kubelet "/CN=$NODE_NAME" "subjectAltName=IP:127.0.0.1,DNS:localhost"
    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
    # Static bearer tokens: token,user,uid,"groups".
    tok() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
    echo -n "$(tok)" >admin.token
    echo -n "$(tok)" >controller-manager.token
    echo -n "$(tok)" >scheduler.token
    echo -n "$(tok)" >kubelet.token
    {
      echo "$(cat admin.token),kodev-admin,kodev-admin,\"system:masters\""
      echo "$(cat controller-manager.token),system:kube-controller-manager,system:kube-controller-manager,"
      echo "$(cat scheduler.token),system:kube-scheduler,system:kube-scheduler,"
      echo "$(cat kubelet.token),system:node:$NODE_NAME,system:node:$NODE_NAME,\"system:nodes\""
    } >tokens.csv
    chmod 600 ./*.key ./*.token tokens.csv
  )
  for who in admin controller-manager scheduler kubelet; do
    write_kubeconfig "$KODEV_CLUSTER_DIR/$who.kubeconfig" "$(cat "$pki/$who.token")" "$who"
  done
  touch "$pki/.done"
}

# write_kubeconfig FILE TOKEN USER: a kubeconfig for the loopback API server.
write_kubeconfig() {
  cat >"$1" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
  - name: kodev-test
    cluster:
      server: https://127.0.0.1:$APISERVER_PORT
      certificate-authority: $KODEV_CLUSTER_DIR/pki/ca.crt
users:
  - name: $3
    user:
      token: $2
contexts:
  - name: kodev-test
    context:
      cluster: kodev-test
      user: $3
      namespace: default
current-context: kodev-test
KUBECONFIG
  chmod 600 "$1"
}
