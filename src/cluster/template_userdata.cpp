// User data, written for Fn::Sub: "${Name}" is a template reference, so the bash below
// never uses "${" itself. Every loop is bounded; failures are reported to CloudFormation
// (the master group's signal, the ClusterReady wait condition) instead of hanging.
#include <string>

#include "cluster/template_parts.hpp"

namespace awsdl::internal::cfn {

namespace {

// Shared by both roles: instance metadata (IMDSv2), and the EFS mount with retries (the
// mount target's DNS name can take a minute to resolve after the target is created).
constexpr std::string_view kCommon = R"SH(REGION=${AWS::Region}
MOUNT=${EfsMountPoint}
FS=${@FS@}.efs.${AWS::Region}.${AWS::URLSuffix}
NODE_QUEUE=${NodeQueue}
imds() {
  local token
  token=$(curl -sf -m 5 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' http://169.254.169.254/latest/api/token) &&
    curl -sf -m 5 -H "X-aws-ec2-metadata-token: $token" "http://169.254.169.254/latest/meta-data/$1"
}
mount_efs() {
  command -v mount.nfs4 >/dev/null || apt-get install -y -q nfs-common || return 1
  mkdir -p "$MOUNT"
  grep -q " $MOUNT nfs4 " /etc/fstab ||
    echo "$FS:/ $MOUNT nfs4 nfsvers=4.1,rsize=1048576,wsize=1048576,hard,timeo=600,retrans=2,noresvport,_netdev 0 0" >>/etc/fstab
  for attempt in $(seq 1 30); do
    mountpoint -q "$MOUNT" && return 0
    mount "$MOUNT" && return 0
    echo "awsdl: EFS mount attempt $attempt failed, retrying"
    sleep 10
  done
  return 1
}
INSTANCE=$(imds instance-id)
PRIVATE_IP=$(imds local-ipv4)
GPUS=$(nvidia-smi -L 2>/dev/null | wc -l)
)SH";

constexpr std::string_view kWorker = R"SH(if mount_efs; then state=ok; else state=efs-failed; fi
for attempt in $(seq 1 20); do
  aws sqs send-message --region "$REGION" --queue-url "$NODE_QUEUE" \
    --message-body "$INSTANCE $PRIVATE_IP $GPUS $state" && exit 0
  sleep 15
done
exit 1
)SH";

constexpr std::string_view kMaster = R"SH(STACK=${AWS::StackName}
WORKER_GROUP=${AWS::StackName}-workers
READY_URL='${ClusterReadyHandle}'
PUBLIC_IP=$(imds public-ipv4 || true)
DL=/opt/deeplearning
REGISTERED=$DL/registered
mkdir -p $DL && touch $REGISTERED
signal() {
  aws cloudformation signal-resource --region "$REGION" --stack-name "$STACK" \
    --logical-resource-id MasterGroup --unique-id "$INSTANCE" --status "$1"
}
ready() {
  local body="{\"Status\":\"$1\",\"Reason\":\"$2\",\"UniqueId\":\"master\",\"Data\":\"$3\"}"
  curl -sf -m 30 --retry 5 -X PUT -H 'Content-Type:' --data-binary "$body" "$READY_URL"
}
group() {
  aws autoscaling describe-auto-scaling-groups --region "$REGION" \
    --auto-scaling-group-names "$WORKER_GROUP" --query "AutoScalingGroups[0].$1" --output text
}
# Registered workers still in the group (a replaced instance's registration is dropped).
current() {
  group 'Instances[].InstanceId' | tr '\t' '\n' >$DL/members
  awk 'NR==FNR {m[$1]; next} ($1 in m) && !seen[$1]++' $DL/members $REGISTERED
}
if ! mount_efs; then
  signal FAILURE
  ready FAILURE "EFS $FS did not mount on the master" none
  exit 1
fi
chmod 1777 "$MOUNT"
signal SUCCESS
ok=0
for attempt in $(seq 1 200); do
  want=$(group DesiredCapacity)
  have=$(current | wc -l)
  if [ "$want" -ge 1 ] 2>/dev/null && [ "$have" -ge "$want" ]; then ok=1; break; fi
  aws sqs receive-message --region "$REGION" --queue-url "$NODE_QUEUE" --max-number-of-messages 10 \
    --wait-time-seconds 10 --query 'Messages[].[ReceiptHandle,Body]' --output text |
    while IFS=$'\t' read -r handle body; do
      [ "$handle" = None ] || [ -z "$body" ] && continue
      echo "$body" >>$REGISTERED
      aws sqs delete-message --region "$REGION" --queue-url "$NODE_QUEUE" --receipt-handle "$handle"
    done
done
if [ $ok -ne 1 ]; then
  ready FAILURE "$(current | wc -l) workers registered, $want wanted" none
  exit 1
fi
bad=$(current | awk '$4 != "ok" {print $1}' | tr '\n' ' ')
if [ -n "$bad" ]; then
  ready FAILURE "EFS did not mount on $bad" none
  exit 1
fi
# The master is worker 1, as in the reference DLAMI cluster layout.
{
  echo "$PRIVATE_IP deeplearning-master deeplearning-worker1"
  current | awk '{print $2 " deeplearning-worker" NR + 1}'
} >$DL/hosts
awk '{print $NF}' $DL/hosts >$DL/workers
sed -i '/# awsdl-begin/,/# awsdl-end/d' /etc/hosts
{ echo '# awsdl-begin'; cat $DL/hosts; echo '# awsdl-end'; } >>/etc/hosts
COUNT=$(wc -l <$DL/workers)
cat >/etc/profile.d/deeplearning.sh <<ENV
export DEEPLEARNING_WORKERS_PATH=$DL/workers
export DEEPLEARNING_WORKERS_COUNT=$COUNT
export DEEPLEARNING_WORKER_GPU_COUNT=$GPUS
export EFS_MOUNT=$MOUNT
ENV
ready SUCCESS configured "master=$PRIVATE_IP public=$PUBLIC_IP workers=$COUNT"
)SH";

constexpr std::string_view kHeader = "#!/bin/bash\n# awsdl cluster ";

std::string with_fs(std::string_view common, std::string_view fs_logical_id) {
  std::string out(common);
  const std::string_view placeholder = "@FS@";
  auto at = out.find(placeholder);
  out.replace(at, placeholder.size(), fs_logical_id);
  return out;
}

}  // namespace

std::string master_user_data(std::string_view fs_logical_id) {
  std::string s(kHeader);
  s += "master: mount EFS, signal, wait for the workers, write the workers file, complete ClusterReady.\n";
  s += "set -uo pipefail\n";
  s += with_fs(kCommon, fs_logical_id);
  s += kMaster;
  return s;
}

std::string worker_user_data(std::string_view fs_logical_id) {
  std::string s(kHeader);
  s += "worker: mount EFS, register with the master through the node queue.\n";
  s += "set -uo pipefail\n";
  s += with_fs(kCommon, fs_logical_id);
  s += kWorker;
  return s;
}

}  // namespace awsdl::internal::cfn
