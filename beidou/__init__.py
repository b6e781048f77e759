"""The terminal's own position from a BeiDou/GNSS receiver speaking NMEA-0183 (党建地图's 本机位置).

Why it looks like this:

- A receiver is a device, so one worker thread owns it and publishes small :class:`Position` events on
  the bus; the map screen never touches a serial port.
- Receivers differ. Chinese modules (CASIC/Zhongkewei, Unicore, Allystar, Quectel) talk with the ``GN``
  talker for combined fixes and ``BD`` (Chinese TSCPB standard) or ``GB`` (NMEA 4.x) for BeiDou; older
  SiRF parts number BeiDou satellites 201–237 inside ``GNGSA``; NMEA 4.10+ adds a system id (4 = BeiDou)
  at the end of GSA. :func:`classify` handles all three, so "北斗 n 颗" is counted correctly whichever
  way a module reports it.
- Serial lines are noisy: a sentence with a bad or missing checksum is counted and skipped, never half
  believed; a line that is not NMEA at all is counted separately.
- Indoors a fix comes and goes. With no fix the last known position is kept and reported with its age,
  so the screen can say "上次定位 3 分钟前" instead of dropping the marker.
- USB receivers get unplugged and TCP bridges restart: the worker reopens the source with exponential
  backoff (reset once good data flows again) and reports ``connected``.
- A recorded log file is a valid source (demos and tests), replayed at real time from the sentences'
  own timestamps, faster, or as fast as possible.

Sources are named by one string (config ``gnss.source``): ``serial:/dev/ttyUSB0:9600``,
``tcp:192.168.1.50:5017``, ``file:content/demo/gnss.nmea``. ``python -m beidou watch SOURCE``
prints fixes as they arrive (an installer's check that the receiver works);
``python -m beidou simulate --lat 30.2736 --lon 120.1545 --out demo.nmea`` writes a log.
"""

from beidou.constellations import classify
from beidou.nmea import NmeaTracker, checksum
from beidou.simulate import sentence, simulate_nmea
from beidou.sources import EndOfLog, FileSource, NmeaSource, SerialSource, TcpSource, parse_source
from beidou.worker import GnssWorker, start_gnss
from core.events import Position

__all__ = ["EndOfLog", "FileSource", "GnssWorker", "NmeaSource", "NmeaTracker", "Position", "SerialSource",
           "TcpSource", "checksum", "classify", "parse_source", "sentence", "simulate_nmea", "start_gnss"]
