#include "cluster/spec_rules.hpp"

#include <cstdint>
#include <cstdio>
#include <string>

namespace awsdl::internal::spec_rules {

namespace {
bool lower(char c) { return c >= 'a' && c <= 'z'; }
bool upper(char c) { return c >= 'A' && c <= 'Z'; }
bool digit(char c) { return c >= '0' && c <= '9'; }
bool hex(char c) { return digit(c) || (c >= 'a' && c <= 'f'); }

bool all_of(std::string_view v, bool (*pred)(char)) {
  for (char c : v)
    if (!pred(c)) return false;
  return true;
}

// "prefix-" followed by 8 or 17 lowercase hex digits (EC2-style resource ids).
bool resource_id(std::string_view v, std::string_view prefix) {
  if (v.substr(0, prefix.size()) != prefix) return false;
  auto rest = v.substr(prefix.size());
  return (rest.size() == 8 || rest.size() == 17) && all_of(rest, hex);
}
}  // namespace

const WholeRange* whole_range(std::string_view field) {
  for (const auto& r : kWholeRanges)
    if (r.field == field) return &r;
  return nullptr;
}

std::string in_range(const WholeRange& range, long long n) {
  if (n >= range.lo && n <= range.hi) return {};
  return "must be between " + std::to_string(range.lo) + " and " + std::to_string(range.hi) + std::string(range.unit) +
         ", got " + std::to_string(n);
}

std::string quoted(std::string_view value) {
  std::string out = "'";
  std::size_t n = 0;
  for (char ch : value) {
    if (++n > 80) {
      out += "...";
      break;
    }
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += ch;
    }
  }
  return out + "'";
}

std::string stack_name(std::string_view v) {
  if (v.empty()) return "must be set (it names the CloudFormation stack)";
  if (v.size() > 128) return "must be at most 128 characters, got " + std::to_string(v.size());
  if (!lower(v[0]) && !upper(v[0])) return "must start with a letter, got " + quoted(v);
  for (char c : v)
    if (!lower(c) && !upper(c) && !digit(c) && c != '-')
      return "may hold only letters, digits and hyphens (a CloudFormation stack name), got " + quoted(v);
  return {};
}

std::string instance_type(std::string_view v) {
  const std::string expected = "must be an EC2 instance type such as p4d.24xlarge, got " + quoted(v);
  auto dot = v.find('.');
  if (v.empty() || v.size() > 64 || dot == std::string_view::npos || dot == 0 || dot + 1 == v.size()) return expected;
  auto family = v.substr(0, dot), size = v.substr(dot + 1);
  if (!lower(family[0])) return expected;
  for (char c : family)
    if (!lower(c) && !digit(c) && c != '-') return expected;
  for (char c : size)
    if (!lower(c) && !digit(c) && c != '-') return expected;
  return {};
}

std::string ipv4_cidr(std::string_view v) {
  const std::string expected = "must be an IPv4 CIDR block such as 203.0.113.0/24, got " + quoted(v);
  if (v.empty()) return "must be set to the IPv4 CIDR block allowed to SSH to the master (such as 203.0.113.0/24)";
  auto slash = v.find('/');
  if (slash == std::string_view::npos) return expected + " (the /prefix length is missing)";
  std::uint32_t addr = 0;
  std::string_view ip = v.substr(0, slash);
  int octets = 0;
  while (true) {
    auto dot = ip.find('.');
    auto part = ip.substr(0, dot);
    if (part.empty() || part.size() > 3 || !all_of(part, digit) || (part.size() > 1 && part[0] == '0')) return expected;
    int n = std::stoi(std::string(part));
    if (n > 255) return expected;
    addr = (addr << 8) | static_cast<std::uint32_t>(n);
    ++octets;
    if (dot == std::string_view::npos) break;
    ip = ip.substr(dot + 1);
  }
  if (octets != 4) return expected;
  auto len = v.substr(slash + 1);
  if (len.empty() || len.size() > 2 || !all_of(len, digit) || (len.size() > 1 && len[0] == '0')) return expected;
  int prefix = std::stoi(std::string(len));
  if (prefix > 32) return expected;
  std::uint32_t host_mask = prefix == 32 ? 0u : (0xffffffffu >> prefix);
  if (addr & host_mask) {
    std::uint32_t net = addr & ~host_mask;
    char buf[40];
    std::snprintf(buf, sizeof buf, "%u.%u.%u.%u/%d", net >> 24, (net >> 16) & 0xff, (net >> 8) & 0xff, net & 0xff, prefix);
    return "has host bits set: " + quoted(v) + " is not a network address (did you mean " + buf + "?)";
  }
  return {};
}

std::string key_name(std::string_view v) {
  if (v.size() > 255) return "must be at most 255 characters, got " + std::to_string(v.size());
  for (char c : v)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e)
      return "may hold only printable ASCII characters, got " + quoted(v);
  return {};
}

std::string ami_id(std::string_view v) {
  if (resource_id(v, "ami-")) return {};
  return "must be an AMI id such as ami-0123456789abcdef0, got " + quoted(v);
}

std::string ssm_parameter_name(std::string_view v) {
  const std::string expected = "must be an SSM parameter name such as /aws/service/deeplearning/ami/..., got " + quoted(v);
  if (v.size() < 2 || v[0] != '/' || v.size() > 2048 || v.back() == '/') return expected;
  for (char c : v)
    if (!lower(c) && !upper(c) && !digit(c) && c != '/' && c != '.' && c != '-' && c != '_') return expected;
  return {};
}

std::string availability_zone(std::string_view v) {
  const std::string expected = "must be an availability zone name such as us-east-1a, got " + quoted(v);
  if (v.size() < 4 || v.size() > 32 || !lower(v[0]) || !lower(v[1]) || v[2] != '-' || !lower(v.back())) return expected;
  for (char c : v)
    if (!lower(c) && !digit(c) && c != '-') return expected;
  return {};
}

std::string efs_id(std::string_view v) {
  if (resource_id(v, "fs-")) return {};
  return "must be an EFS file system id such as fs-0123456789abcdef0, got " + quoted(v);
}

std::string subnet_id(std::string_view v) {
  if (resource_id(v, "subnet-")) return {};
  return "must be a subnet id such as subnet-0123456789abcdef0, got " + quoted(v);
}

std::string security_group_id(std::string_view v) {
  if (resource_id(v, "sg-")) return {};
  return "must be a security group id such as sg-0123456789abcdef0, got " + quoted(v);
}

std::string mount_point(std::string_view v) {
  const std::string expected =
      "must be an absolute path of letters, digits, '.', '_', '-' and '/' such as /efs, got " + quoted(v);
  if (v.size() < 2 || v[0] != '/' || v.back() == '/' || v.size() > 255) return expected;
  std::string_view rest = v.substr(1);
  while (true) {
    auto slash = rest.find('/');
    auto part = rest.substr(0, slash);
    if (part.empty() || part == "." || part == "..") return expected;
    for (char c : part)
      if (!lower(c) && !upper(c) && !digit(c) && c != '.' && c != '_' && c != '-') return expected;
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
  }
  static constexpr std::string_view kSystem[] = {"/bin", "/boot", "/dev", "/etc", "/lib", "/proc", "/root",
                                                 "/sbin", "/sys", "/usr", "/var", "/tmp", "/home"};
  for (auto s : kSystem)
    if (v == s) return "must not be a system directory, got " + quoted(v);
  return {};
}

std::string bucket_name(std::string_view v) {
  const std::string expected =
      "must be an S3 bucket name (3-63 lowercase letters, digits, '.' and '-', starting and ending with a letter "
      "or digit), got " + quoted(v);
  if (v.size() < 3 || v.size() > 63) return expected;
  if (!(lower(v.front()) || digit(v.front())) || !(lower(v.back()) || digit(v.back()))) return expected;
  for (char c : v)
    if (!lower(c) && !digit(c) && c != '.' && c != '-') return expected;
  if (v.find("..") != std::string_view::npos) return expected;
  return {};
}

std::string user_name(std::string_view v) {
  const std::string expected = "must be a login name such as ubuntu, got " + quoted(v);
  if (v.empty() || v.size() > 32 || !(lower(v[0]) || v[0] == '_')) return expected;
  for (char c : v)
    if (!lower(c) && !digit(c) && c != '_' && c != '-') return expected;
  return {};
}

std::string zone_region(std::string_view zone) {
  // Parts by '-': letters (the geography: us, ap, gov, east, northeast ...) up to the first
  // all-digit part, which ends the region; what follows is the zone's own suffix.
  std::size_t at = 0;
  int parts = 0;
  while (at < zone.size()) {
    auto dash = zone.find('-', at);
    auto part = zone.substr(at, dash == std::string_view::npos ? std::string_view::npos : dash - at);
    if (part.empty()) return {};
    ++parts;
    if (all_of(part, digit)) {
      if (parts < 3 || dash == std::string_view::npos) return {};
      return std::string(zone.substr(0, dash));
    }
    if (digit(part[0])) {
      // "1a": the region's number and the zone letter in one part.
      std::size_t n = 0;
      while (n < part.size() && digit(part[n])) ++n;
      if (parts < 3 || n + 1 != part.size() || !lower(part.back()) || dash != std::string_view::npos) return {};
      return std::string(zone.substr(0, at + n));
    }
    if (!all_of(part, lower)) return {};
    if (dash == std::string_view::npos) return {};
    at = dash + 1;
  }
  return {};
}

std::string zone_name(std::string_view v) {
  const std::string expected = "must be an availability zone name such as us-east-1a, got " + quoted(v);
  if (v.size() > 32) return expected;
  auto region = zone_region(v);
  if (region.empty()) return expected;
  auto rest = v.substr(region.size());
  if (rest.size() == 1 && lower(rest[0])) return {};
  // A Local Zone or Wavelength Zone: us-west-2-lax-1a.
  if (rest.size() > 2 && rest[0] == '-' && lower(rest.back())) {
    for (char c : rest)
      if (!lower(c) && !digit(c) && c != '-') return expected;
    return {};
  }
  return expected;
}

std::string capacity_reservation_id(std::string_view v) {
  if (resource_id(v, "cr-")) return {};
  return "must be a capacity reservation id such as cr-0123456789abcdef0, got " + quoted(v);
}

std::string capacity_reservation(std::string_view v) {
  if (resource_id(v, "cr-")) return {};
  // arn:PARTITION:resource-groups:REGION:ACCOUNT:group/NAME
  const std::string expected =
      "must be a capacity reservation id such as cr-0123456789abcdef0 or the ARN of a capacity reservation "
      "group (arn:aws:resource-groups:REGION:ACCOUNT:group/NAME), got " + quoted(v);
  if (v.substr(0, 4) != "arn:" || v.size() > 1600) return expected;
  std::string_view fields[6];
  std::string_view rest = v;
  for (int i = 0; i < 5; ++i) {
    auto colon = rest.find(':');
    if (colon == std::string_view::npos) return expected;
    fields[i] = rest.substr(0, colon);
    rest = rest.substr(colon + 1);
  }
  fields[5] = rest;
  if (fields[1].substr(0, 3) != "aws" || fields[2] != "resource-groups" || fields[3].empty() ||
      fields[4].size() != 12 || !all_of(fields[4], digit) || fields[5].substr(0, 6) != "group/" || fields[5].size() < 7)
    return expected;
  for (char c : v)
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) > 0x7e) return expected;
  return {};
}

std::string fsx_id(std::string_view v) {
  auto rest = v.substr(0, 3) == "fs-" ? v.substr(3) : std::string_view();
  if (rest.size() == 17 && all_of(rest, hex)) return {};
  return "must be an FSx file system id such as fs-0123456789abcdef0, got " + quoted(v);
}

std::string fsx_deployment(std::string_view v) {
  if (v == "SCRATCH_2" || v == "PERSISTENT_2") return {};
  return "must be SCRATCH_2 or PERSISTENT_2, got " + quoted(v);
}

std::string fsx_capacity(int gib, std::string_view deployment) {
  if (gib == 1200 || (gib >= 2400 && gib % 2400 == 0)) return {};
  return "must be a size " + std::string(deployment.empty() ? "FSx for Lustre" : deployment) +
         " file systems come in: 1200, 2400 or a multiple of 2400 GiB, got " + std::to_string(gib);
}

std::string s3_path(std::string_view v) {
  const std::string expected = "must be an S3 location such as s3://team-bucket/datasets/coco, got " + quoted(v);
  if (v.substr(0, 5) != "s3://") return expected;
  auto rest = v.substr(5);
  auto slash = rest.find('/');
  auto bucket = rest.substr(0, slash);
  if (!bucket_name(bucket).empty()) return expected;
  if (v.size() > 4357) return expected;
  for (char c : v)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return expected;
  return {};
}

}  // namespace awsdl::internal::spec_rules
