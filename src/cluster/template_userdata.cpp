// User data, written for Fn::Sub: "${Name}" is a template reference, so the bash below
// never uses "${" itself. Every loop is bounded; failures are reported to CloudFormation
// (the master group's signal, the ClusterReady wait condition) instead of hanging.
#include <string>

#include "awsdl/mpi/launch.hpp"
#include "cluster/template_parts.hpp"

namespace awsdl::internal::cfn {

namespace {

// Shared by both roles: instance metadata (IMDSv2), and the EFS mount with retries (the
// mount target's DNS name can take a minute to resolve after the target is created).
constexpr std::string_view kCommonHead = R"SH(REGION=${AWS::Region}
MOUNT=${EfsMountPoint}
)SH";
constexpr std::string_view kEfsLine = "FS=${@FS@}.efs.${AWS::Region}.${AWS::URLSuffix}\n";
constexpr std::string_view kImds = R"SH(NODE_QUEUE=${NodeQueue}
imds() {
  local token
  token=$(curl -sf -m 5 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' http://169.254.169.254/latest/api/token) &&
    curl -sf -m 5 -H "X-aws-ec2-metadata-token: $token" "http://169.254.169.254/latest/meta-data/$1"
}
)SH";
constexpr std::string_view kMountEfs = R"SH(mount_efs() {
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
)SH";

// FSx for Lustre: the Lustre client (from AWS's FSx client repository when the image lacks
// it), then `mount -t lustre DNS@tcp:/MOUNTNAME`, retried while the file system settles.
constexpr std::string_view kMountLustre = R"SH(install_lustre_client() {
  . /etc/os-release
  curl -sf -m 60 https://fsx-lustre-client-repo-public-keys.s3.amazonaws.com/fsx-ubuntu-public-key.asc |
    gpg --batch --yes --dearmor -o /usr/share/keyrings/fsx-ubuntu-public-key.gpg &&
    echo "deb [signed-by=/usr/share/keyrings/fsx-ubuntu-public-key.gpg] https://fsx-lustre-client-repo.s3.amazonaws.com/ubuntu $VERSION_CODENAME main" \
      >/etc/apt/sources.list.d/fsxlustreclientrepo.list &&
    apt-get update -q && apt-get install -y -q "lustre-client-modules-$(uname -r)"
}
mount_shared() {
  if ! command -v mount.lustre >/dev/null; then
    for attempt in $(seq 1 5); do
      install_lustre_client && break
      echo "awsdl: Lustre client install attempt $attempt failed, retrying"
      sleep 15
    done
    command -v mount.lustre >/dev/null || return 1
  fi
@LOOKUP@  mkdir -p "$MOUNT"
  grep -q " $MOUNT lustre " /etc/fstab ||
    echo "$FS@tcp:/$MOUNT_NAME $MOUNT lustre defaults,noatime,flock,_netdev 0 0" >>/etc/fstab
  for attempt in $(seq 1 30); do
    mountpoint -q "$MOUNT" && return 0
    mount -t lustre -o noatime,flock "$FS@tcp:/$MOUNT_NAME" "$MOUNT" && return 0
    echo "awsdl: FSx for Lustre mount attempt $attempt failed, retrying"
    sleep 10
  done
  return 1
}
)SH";

// A reused file system: its mount name is asked of FSx at boot (the role may describe it).
constexpr std::string_view kLustreLookup = R"SH(  for attempt in $(seq 1 10); do
    [ -n "$MOUNT_NAME" ] && [ "$MOUNT_NAME" != None ] && break
    MOUNT_NAME=$(aws fsx describe-file-systems --region "$REGION" --file-system-ids "$FSX_ID" \
      --query 'FileSystems[0].LustreConfiguration.MountName' --output text) || sleep 10
  done
  [ -n "$MOUNT_NAME" ] && [ "$MOUNT_NAME" != None ] || return 1
)SH";

// shared = none: the mount point is a directory of each node's own disk.
constexpr std::string_view kMountNone = R"SH(mount_shared() {
  mkdir -p "$MOUNT"
}
)SH";

constexpr std::string_view kCommonTail = R"SH(INSTANCE=$(imds instance-id)
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
  if [ "$want" -ge @FLOOR@ ] 2>/dev/null && [ "$have" -ge "$want" ]; then ok=1; break; fi
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

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  for (auto at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
}

std::string common(const UserData& u) {
  std::string s(kCommonHead);
  std::string mount;
  switch (u.shared) {
    case cluster::SharedStorage::kEfs:
      s += with_fs(kEfsLine, u.fs_logical_id);
      mount = kMountEfs;
      break;
    case cluster::SharedStorage::kFsxLustre: {
      const std::string& id = u.fs_logical_id;
      if (u.reuse)
        s += "FSX_ID=${" + id + "}\nFS=${" + id + "}.fsx.${AWS::Region}.${AWS::URLSuffix}\nMOUNT_NAME=\n";
      else
        s += "FS=${" + id + ".DNSName}\nMOUNT_NAME=${" + id + ".LustreMountName}\n";
      mount = kMountLustre;
      replace_all(mount, "@LOOKUP@", u.reuse ? kLustreLookup : "");
      break;
    }
    case cluster::SharedStorage::kNone:
      s += "FS=node-local\n";
      mount = kMountNone;
      break;
  }
  s += kImds;
  s += mount;
  s += kCommonTail;
  return s;
}

// The role's script for storage other than EFS: the same steps, named for what is mounted.
std::string for_storage(std::string script, const UserData& u) {
  if (u.shared != cluster::SharedStorage::kEfs) {
    replace_all(script, "mount_efs", "mount_shared");
    replace_all(script, "\"EFS $FS did not mount on the master\"", "\"the shared file system $FS did not mount on the master\"");
    replace_all(script, "\"EFS did not mount on $bad\"", "\"the shared file system did not mount on $bad\"");
  }
  if (u.efa) {
    std::string exports;
    for (const auto& [name, value] : mpi::efa_environment()) exports += "export " + name + "=" + value + "\n";
    replace_all(script, "export EFS_MOUNT=$MOUNT\n", "export EFS_MOUNT=$MOUNT\n" + exports);
  }
  return script;
}

std::string_view what_is_mounted(const UserData& u) {
  return u.shared == cluster::SharedStorage::kEfs ? "EFS" : "the shared file system";
}

}  // namespace

std::string master_user_data(const UserData& u) {
  std::string s(kHeader);
  s += "master: mount " + std::string(what_is_mounted(u)) +
       ", signal, wait for the workers, write the workers file, complete ClusterReady.\n";
  s += "set -uo pipefail\n";
  s += common(u);
  std::string script = for_storage(std::string(kMaster), u);
  // With a capacity fallback the workers may all be elsewhere for now: the master is ready alone.
  replace_all(script, "@FLOOR@", u.workers_may_be_zero ? "0" : "1");
  s += script;
  return s;
}

std::string worker_user_data(const UserData& u) {
  std::string s(kHeader);
  s += "worker: mount " + std::string(what_is_mounted(u)) + ", register with the master through the node queue.\n";
  s += "set -uo pipefail\n";
  s += common(u);
  s += for_storage(std::string(kWorker), u);
  return s;
}

std::string master_user_data(std::string_view fs_logical_id) {
  return master_user_data(UserData{.fs_logical_id = std::string(fs_logical_id)});
}

std::string worker_user_data(std::string_view fs_logical_id) {
  return worker_user_data(UserData{.fs_logical_id = std::string(fs_logical_id)});
}

}  // namespace awsdl::internal::cfn
