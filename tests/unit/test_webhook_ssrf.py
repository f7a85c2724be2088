"""The SSRF guard by classes of bypass, not by a few literal URLs: every internal IPv4
address in every notation the C library reads (checked against ``inet_aton`` itself),
IPv6 forms that embed an IPv4 address, local names, and names that resolve inside
(through an injected resolver: the delivery-time check)."""

from __future__ import annotations

import ipaddress
import socket

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contexts.webhooks.pinned import UnsafeAddress, checked_addresses
from contexts.webhooks.urls import UnsafeUrl, check_url, is_public, literal_address

INTERNAL_V4 = [
    ipaddress.IPv4Network(n)
    for n in (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
        "172.16.0.0/12", "192.0.0.0/29", "192.168.0.0/16", "198.18.0.0/15", "224.0.0.0/4",
        "240.0.0.0/4",
    )
]  # fmt: skip


@st.composite
def internal_ipv4(draw: st.DrawFn) -> ipaddress.IPv4Address:
    network = draw(st.sampled_from(INTERNAL_V4))
    return network[draw(st.integers(0, network.num_addresses - 1))]


def in_base(value: int, base: str) -> str:
    return {"dec": str(value), "hex": hex(value), "HEX": f"0X{value:X}", "oct": f"0{value:o}"}[base]


@st.composite
def spelling(draw: st.DrawFn, address: ipaddress.IPv4Address) -> str:
    """``address`` in 1 to 4 parts (the last one fills the remaining bytes), each part
    in decimal, hex or octal, maybe with a trailing dot: all read alike by inet_aton."""
    raw = address.packed
    count = draw(st.integers(1, 4))
    head = list(raw[: count - 1])
    last = int.from_bytes(raw[count - 1 :])
    bases = st.sampled_from(["dec", "hex", "HEX", "oct"])
    parts = [in_base(v, draw(bases)) for v in [*head, last]]
    return ".".join(parts) + draw(st.sampled_from(["", "."]))


@given(st.data())
def test_every_spelling_of_an_internal_ipv4_address_is_refused(data: st.DataObject) -> None:
    address = data.draw(internal_ipv4())
    host = data.draw(spelling(address))
    # The guard reads the host as the C library will when the socket connects.
    assert socket.inet_aton(host.rstrip(".")) == address.packed
    assert literal_address(host) == address
    with pytest.raises(UnsafeUrl):
        check_url(f"http://{host}:8080/hook", production=True)
    assert check_url(f"http://{host}/", production=False)  # developers' receivers


@given(st.data())
def test_public_addresses_pass_in_any_spelling(data: st.DataObject) -> None:
    address = ipaddress.IPv4Address("93.184.216.34")
    host = data.draw(spelling(address))
    assert check_url(f"https://{host}/hook", production=True)


EMBEDDINGS = {
    "mapped": lambda v4: f"::ffff:{v4}",
    "translated": lambda v4: f"::ffff:0:{v4}",
    "compatible": lambda v4: f"::{v4}",
    "nat64": lambda v4: f"64:ff9b::{v4}",
    "6to4": lambda v4: str(ipaddress.IPv6Address((0x2002 << 112) | (int(v4) << 80))),
}


@pytest.mark.parametrize("kind", sorted(EMBEDDINGS))
@given(address=internal_ipv4())
def test_ipv6_addresses_embedding_an_internal_ipv4_one_are_refused(
    kind: str, address: ipaddress.IPv4Address
) -> None:
    host = EMBEDDINGS[kind](address)
    assert not is_public(ipaddress.IPv6Address(host))
    with pytest.raises(UnsafeUrl):
        check_url(f"http://[{host}]/", production=True)


def test_the_reported_bypasses_and_other_internal_ipv6_are_refused() -> None:
    hosts = ["127.1", "2130706433", "0x7f000001", "017700000001", "0", "[64:ff9b::a9fe:a9fe]",
             "[::1]", "[fe80::1]", "[fc00::7]", "[ff02::1]", "[2001:db8::1]", "[::]",
             "[2001:0:4136:e378:8000:63bf:3fff:fdd2]"]  # fmt: skip
    for host in hosts:
        with pytest.raises(UnsafeUrl):
            check_url(f"http://{host}/", production=True)
    assert check_url("https://[2606:4700:4700::1111]/", production=True)
    assert is_public(ipaddress.IPv6Address("64:ff9b::808:808"))  # NAT64 of a public one


@pytest.mark.parametrize(
    "host", ["localhost", "LOCALHOST.", "api.localhost", "printer.local", "db.internal",
             "router.home.arpa", "intranet", "ip6-localhost"],
)  # fmt: skip
def test_local_names_are_refused_in_production(host: str) -> None:
    with pytest.raises(UnsafeUrl):
        check_url(f"http://{host}/", production=True)


class Names:
    """A resolver a test fills in: name -> addresses, as DNS would answer today."""

    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers, self.asked = answers, []

    async def resolve(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        if host not in self.answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return self.answers[host]


async def test_a_name_is_checked_by_what_it_resolves_to_at_delivery() -> None:
    names = Names({
        "inside.example.com": ["127.0.0.1"],
        "metadata.example.com": ["169.254.169.254"],
        "mixed.example.com": ["93.184.216.34", "10.0.0.5"],  # one bad answer is enough
        "v6.example.com": ["::ffff:127.0.0.1"],
        "public.example.com": ["93.184.216.34", "2606:2800:220:1::1"],
    })  # fmt: skip
    for name in ("inside", "metadata", "mixed", "v6"):
        host = f"{name}.example.com"
        assert check_url(f"https://{host}/", production=True)  # passes the static check...
        with pytest.raises(UnsafeAddress, match="non-public"):  # ...not the delivery one
            await checked_addresses(host, 443, names, allow_internal=False)
    public = await checked_addresses("public.example.com", 443, names, allow_internal=False)
    assert [str(a) for a in public] == ["93.184.216.34", "2606:2800:220:1::1"]
    with pytest.raises(UnsafeAddress, match="cannot resolve"):
        await checked_addresses("nowhere.example.com", 443, names, allow_internal=False)
    # A literal is not resolved (no DNS to ask), and read as the C library reads it.
    with pytest.raises(UnsafeAddress):
        await checked_addresses("0x7f.1", 80, names, allow_internal=False)
    assert names.asked.count("inside.example.com") == 1 and "0x7f.1" not in names.asked
    inside = await checked_addresses("inside.example.com", 80, names, allow_internal=True)
    assert [str(a) for a in inside] == ["127.0.0.1"]
