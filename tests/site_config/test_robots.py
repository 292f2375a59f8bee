def test_robots_txt_keeps_crawlers_out_of_private_pages(client):
    response = client.get("/robots.txt")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain"
    lines = response.content.decode().splitlines()
    assert "Disallow: /checkout/" in lines
    assert "Disallow: /dashboard/" in lines
    assert "Disallow: /courses/" not in lines
